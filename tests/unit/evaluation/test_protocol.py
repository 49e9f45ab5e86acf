"""The replay protocol never lets a prediction see its own row or a later one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import pytest

from smartpractice.core.config import ModelConfig
from smartpractice_lab.evaluation import runner
from smartpractice_lab.evaluation.dataset import ItemInfo, ReplayData, Response
from smartpractice_lab.evaluation.protocol import OnlineModel, run_model
from smartpractice_lab.evaluation.runner import (
    DEFAULT_MODELS,
    MODEL_NAMES,
    first_responses,
    run_evaluation,
)

from .fakes import install_fake_pybkt

SKILLS = (("a",), ("b",), ("a", "b"), ("c",))


def synthetic_data(
    *, seed: int = 0, train_students: int = 12, test_students: int = 4
) -> ReplayData:
    """Students of varying ability answer items of varying difficulty, some multi-skill."""
    rng = np.random.default_rng(seed)
    items = {f"q{i}": ItemInfo(skills=SKILLS[i % len(SKILLS)]) for i in range(10)}
    difficulty = {item: rng.normal() for item in items}

    def answers(prefix: str, count: int) -> list[Response]:
        rows: list[Response] = []
        for s in range(count):
            ability = rng.normal()
            for n in range(15):
                item = f"q{rng.integers(len(items))}"
                p = 1.0 / (1.0 + np.exp(difficulty[item] - ability - 0.05 * n))
                rows.append(
                    Response(
                        student_id=f"{prefix}{s}",
                        item_id=item,
                        skills=items[item].skills,
                        score=float(rng.uniform() < p),
                    )
                )
        return rows

    return ReplayData(
        source="synthetic",
        train=answers("train", train_students),
        test=answers("test", test_students),
        items=items,
    )


def flipped_from(data: ReplayData, index: int) -> ReplayData:
    """The same data with the score of test row `index` and of every later row flipped."""
    test = [replace(r, score=1.0 - r.score) if n >= index else r for n, r in enumerate(data.test)]
    return replace(data, test=test)


def predictions(name: str, data: ReplayData) -> np.ndarray:
    return run_model(runner.build_model(name, data, ModelConfig()), data).predictions


def peeks(name: str, data: ReplayData, cuts: Sequence[int]) -> list[int]:
    """Test rows up to (and including) a cut whose prediction changed when the cut row and
    every later row were flipped: such a prediction looked at its own or a later answer."""
    base = predictions(name, data)
    leaks: list[int] = []
    for cut in cuts:
        changed = predictions(name, flipped_from(data, cut))
        leaks += [int(n) for n in np.flatnonzero(changed[: cut + 1] != base[: cut + 1])]
    return leaks


CUTS = (0, 1, 7, 20, 41, 59)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_no_model_peeks_at_its_own_or_a_later_answer(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fake_pybkt(monkeypatch)
    assert peeks(name, synthetic_data(), CUTS) == []


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_later_rows_do_not_change_earlier_predictions(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fake_pybkt(monkeypatch)
    data = synthetic_data()
    full = predictions(name, data)
    cut = replace(data, test=list(data.test)[:30])
    np.testing.assert_array_equal(predictions(name, cut), full[:30])


class Cheater(OnlineModel):
    """Predicts the answer it is about to see: what the checks above must catch."""

    name = "cheater"

    def predict_then_learn(self, response: Response) -> float:
        return response.score


class LooksAhead(OnlineModel):
    """Predicts from the next test row: also a leak."""

    name = "looks_ahead"

    def __init__(self, rows: Sequence[Response]) -> None:
        self._next = {id(r): rows[n + 1].score for n, r in enumerate(rows[:-1])}

    def predict_then_learn(self, response: Response) -> float:
        return self._next.get(id(response), 0.5)


def test_the_peek_check_catches_a_model_that_peeks(monkeypatch: pytest.MonkeyPatch) -> None:
    data = synthetic_data()
    monkeypatch.setattr(
        "smartpractice_lab.evaluation.runner.build_model", lambda *_: Cheater(), raising=True
    )
    assert peeks("cheater", data, CUTS) == [*CUTS]


def test_the_peek_check_catches_a_model_that_looks_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    def build(name: str, replay: ReplayData, config: ModelConfig) -> LooksAhead:
        return LooksAhead(list(replay.test))

    monkeypatch.setattr("smartpractice_lab.evaluation.runner.build_model", build, raising=True)
    # Flipping rows 5.. changes what rows 4 and 5 read from their next row.
    assert peeks("looks_ahead", synthetic_data(), (5,)) == [4, 5]


def test_every_model_sees_the_same_rows_and_predicts_once_per_response(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_fake_pybkt(monkeypatch)
    data = synthetic_data()
    result = run_evaluation(data, models=MODEL_NAMES)
    assert [run.name for run in result.runs] == list(MODEL_NAMES)
    assert result.rows == len(data.test)  # multi-skill responses predicted once
    for run in result.runs:
        assert run.predictions.shape == (len(data.test),)
        assert np.all((run.predictions >= 0.0) & (run.predictions <= 1.0))
        assert run.seconds >= 0.0


class Broken(OnlineModel):
    name = "broken"

    def predict_then_learn(self, response: Response) -> float:
        return 1.5


def test_the_default_run_leaves_out_the_calibrated_variant() -> None:
    assert run_evaluation.__kwdefaults__["models"] == DEFAULT_MODELS
    assert set(MODEL_NAMES) - set(DEFAULT_MODELS) == {"smartpractice_calibrated"}


def test_first_responses_scores_each_test_users_first_answers_only() -> None:
    data = synthetic_data()
    full = run_evaluation(data, models=["smartpractice", "elo"])
    cold = run_evaluation(data, models=["smartpractice", "elo"], first=3)
    chosen = first_responses(data.test, 3)
    students = [r.student_id for r in data.test]
    assert cold.rows == 3 * len(set(students)) == int(chosen.sum())
    assert all(students[:n].count(students[n]) < 3 for n in np.flatnonzero(chosen))
    # The same predictions as the full run (everything is still replayed), fewer scored.
    for short, long in zip(cold.runs, full.runs, strict=True):
        np.testing.assert_array_equal(short.predictions, long.predictions[chosen])
    np.testing.assert_array_equal(cold.scores, full.scores[chosen])
    assert "first 3" in cold.source
    with pytest.raises(ValueError, match="at least 1"):
        first_responses(data.test, 0)


def test_a_prediction_outside_zero_one_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"broken predicted 1.5 for test row 0"):
        run_model(Broken(), synthetic_data())


class Recorder(OnlineModel):
    name = "recorder"

    def __init__(self) -> None:
        self.fitted: list[str] = []
        self.predicted: list[str] = []

    def fit(self, train: Iterable[Response]) -> None:
        self.fitted = [r.student_id for r in train]

    def predict_then_learn(self, response: Response) -> float:
        self.predicted.append(response.student_id)
        return 0.5


def test_train_rows_are_fitted_first_and_only_test_rows_are_predicted() -> None:
    data = synthetic_data()
    model = Recorder()
    run = run_model(model, data)
    assert model.fitted == [r.student_id for r in data.train]
    assert model.predicted == [r.student_id for r in data.test]
    assert len(run.predictions) == len(data.test)


def test_models_run_in_parallel_processes_give_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_fake_pybkt(monkeypatch)
    data = synthetic_data()
    alone = run_evaluation(data, models=MODEL_NAMES, jobs=1)
    together = run_evaluation(data, models=MODEL_NAMES, jobs=3)
    assert [run.name for run in together.runs] == list(MODEL_NAMES)
    for one, other in zip(alone.runs, together.runs, strict=True):
        np.testing.assert_array_equal(one.predictions, other.predictions)
    assert runner.default_jobs() >= 1
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        run_evaluation(data, models=["elo", "nope"], jobs=2)
