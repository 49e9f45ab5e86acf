"""The models of a run: golden first steps of the baselines, and the production model's
code path (the worker's `apply_attempt`, not a copy of it)."""

from __future__ import annotations

import math
import sys
from datetime import UTC, datetime

import numpy as np
import pytest

from smartpractice.core.config import ModelConfig
from smartpractice.core.types import GradedAttempt
from smartpractice.services.rating import AppliedAttempt, apply_attempt, apply_graded_attempt
from smartpractice.services.schemas import AttemptIn
from smartpractice_lab.evaluation import production
from smartpractice_lab.evaluation.baselines import CustomerSketch, PlainElo, sigmoid
from smartpractice_lab.evaluation.bkt import BktParameters, PyBKT, bkt_step
from smartpractice_lab.evaluation.dataset import ItemInfo, ReplayData, Response
from smartpractice_lab.evaluation.irt import Irt1PL, fit_rasch
from smartpractice_lab.evaluation.production import NO_TIME, ProductionModel, attempt_of
from smartpractice_lab.evaluation.protocol import ModelUnavailable
from smartpractice_lab.evaluation.runner import run_evaluation

from .fakes import FAKE_PARAMETERS, FakeModel, install_fake_pybkt


def answer(student: str, item: str, score: float, *skills: str) -> Response:
    return Response(student_id=student, item_id=item, skills=skills or ("a",), score=score)


# --- plain Elo ---------------------------------------------------------------------------


def test_plain_elo_first_steps_match_hand_computation() -> None:
    model = PlainElo(a=1.0, b=0.05)
    # Fresh student (0) and item (0): P = sigmoid(0) = 0.5; correct -> surprise 0.5,
    # U(0) = 1: ability +0.5, difficulty -0.5.
    assert model.predict_then_learn(answer("s", "q", 1.0)) == 0.5
    # Next time: P = sigmoid(0.5 - (-0.5)) = sigmoid(1).
    assert model.predict_then_learn(answer("s", "q", 0.0)) == pytest.approx(sigmoid(1.0))
    # Wrong: surprise -sigmoid(1), U(1) = 1 / 1.05 for both.
    step = sigmoid(1.0) / 1.05
    expected = sigmoid((0.5 - step) - (-0.5 + step))
    assert model.predict_then_learn(answer("s", "q", 1.0)) == pytest.approx(expected)


def test_sigmoid_is_stable_for_large_inputs() -> None:
    assert sigmoid(-1000.0) == 0.0
    assert sigmoid(1000.0) == 1.0
    assert sigmoid(math.log(3.0)) == pytest.approx(0.75)


# --- the customer's sketch ---------------------------------------------------------------


def test_customer_sketch_averages_skills_and_updates_them_in_turn() -> None:
    model = CustomerSketch()
    # Everything at 1200: both skills expect 0.5, the mean is 0.5.
    assert model.predict_then_learn(answer("s", "q", 1.0, "a", "b")) == 0.5
    # Skill a: 1200 + 32 * 0.5 = 1216; item: 1200 + 32 * (0 - 0.5) = 1184.
    # Skill b then meets the item at 1184: E = 1 / (1 + 10 ** ((1184 - 1200) / 400)).
    e_b = 1.0 / (1.0 + 10.0 ** (-16.0 / 400.0))
    rating_b = 1200.0 + 32.0 * (1.0 - e_b)
    item = 1184.0 - 32.0 * (1.0 - e_b)
    e_a_next = 1.0 / (1.0 + 10.0 ** ((item - 1216.0) / 400.0))
    e_b_next = 1.0 / (1.0 + 10.0 ** ((item - rating_b) / 400.0))
    predicted = model.predict_then_learn(answer("s", "q", 0.0, "a", "b"))
    assert predicted == pytest.approx((e_a_next + e_b_next) / 2.0)


def test_customer_sketch_floors_ratings_at_100() -> None:
    model = CustomerSketch(k=5000.0)
    model.predict_then_learn(answer("s", "q", 0.0))
    # The student fell to the floor and the item rose: near-certain failure predicted.
    assert model.predict_then_learn(answer("s", "q", 0.0)) < 1e-3


# --- 1PL IRT -----------------------------------------------------------------------------


def test_rasch_fit_reaches_the_maximum_of_the_penalised_likelihood() -> None:
    # At the MAP the gradient of the penalised log-likelihood vanishes for every ability
    # and every difficulty (from about 10 at the start; the rounds stop when no parameter
    # moves by 1e-6, so it is left at about 1e-5).
    rng = np.random.default_rng(7)
    users = rng.integers(0, 40, size=2000)
    items = rng.integers(0, 25, size=2000)
    truth = rng.normal(size=40)[users] - rng.normal(size=25)[items]
    outcomes = (rng.uniform(size=2000) < 1.0 / (1.0 + np.exp(-truth))).astype(np.float64)
    theta, b = fit_rasch(users, items, outcomes, n_users=40, n_items=25)
    residual = outcomes - 1.0 / (1.0 + np.exp(b[items] - theta[users]))
    assert np.abs(np.bincount(users, residual, 40) - 1.0 * theta).max() < 1e-4
    assert np.abs(-np.bincount(items, residual, 25) - 0.1 * b).max() < 1e-4


def test_rasch_fit_recovers_item_order_and_online_abilities_move_with_answers() -> None:
    rng = np.random.default_rng(1)
    abilities = rng.normal(size=300)
    true_difficulty = np.array([-1.5, 0.0, 1.5])
    users = np.repeat(np.arange(300), 3)
    items = np.tile(np.arange(3), 300)
    p = 1.0 / (1.0 + np.exp(true_difficulty[items] - abilities[users]))
    outcomes = (rng.uniform(size=900) < p).astype(np.float64)
    _, difficulty = fit_rasch(users, items, outcomes, n_users=300, n_items=3)
    assert difficulty[0] < difficulty[1] < difficulty[2]

    model = Irt1PL()
    model.fit(answer(f"u{u}", f"q{i}", o) for u, i, o in zip(users, items, outcomes, strict=True))
    first = model.predict_then_learn(answer("new", "q1", 1.0))
    second = model.predict_then_learn(answer("new", "q1", 1.0))
    assert second > first  # a correct answer raised the new student's ability
    # An item never seen in train sits at the prior mean difficulty 0.
    fresh = Irt1PL()
    assert fresh.predict_then_learn(answer("x", "unseen", 1.0)) == 0.5


def test_irt_predicts_the_test_users_at_once_as_it_would_one_by_one() -> None:
    rng = np.random.default_rng(7)
    train = [
        answer(f"u{rng.integers(30)}", f"q{rng.integers(12)}", float(rng.integers(2)))
        for _ in range(600)
    ]
    # Test users with histories of different lengths, interleaved, one on an unseen item.
    test = [
        answer(f"t{rng.integers(5)}", f"q{rng.integers(14)}", float(rng.integers(2)))
        for _ in range(120)
    ]
    batch = Irt1PL()
    batch.fit(train)
    one_by_one = Irt1PL()
    one_by_one.fit(train)
    expected = [one_by_one.predict_then_learn(r) for r in test]
    np.testing.assert_allclose(batch.predict_test(test), expected, rtol=0, atol=1e-12)
    assert len(set(expected)) > 20  # the abilities moved: the comparison is not trivial


# --- BKT ---------------------------------------------------------------------------------


def test_bkt_step_golden_values() -> None:
    params = BktParameters(prior=0.3, learn=0.2, guess=0.25, slip=0.1)
    # P(correct) = 0.3 * 0.9 + 0.7 * 0.25 = 0.445.
    predicted, known = bkt_step(0.3, True, params)
    assert predicted == pytest.approx(0.445)
    # Posterior 0.27 / 0.445, then learning: post + (1 - post) * 0.2.
    posterior = 0.27 / 0.445
    assert known == pytest.approx(posterior + (1.0 - posterior) * 0.2)
    # A wrong answer: posterior 0.03 / 0.555.
    _, known = bkt_step(0.3, False, params)
    assert known == pytest.approx(0.03 / 0.555 + (1.0 - 0.03 / 0.555) * 0.2)


def test_pybkt_parameters_are_used_online_per_skill_set(monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake_pybkt(monkeypatch)
    model = PyBKT(seed=3)
    model.fit([answer("t", "q1", 1.0, "a", "b"), answer("t", "q2", 0.0, "c")])
    fitted = FakeModel.instances[-1]
    assert fitted.seed == 3
    assert fitted.data is not None
    assert [row[2] for row in fitted.data.rows] == ["a+b", "c"]  # skill sets, train only
    assert set(model.parameters) == {"a+b", "c"}
    params = BktParameters(
        prior=FAKE_PARAMETERS["prior"],
        learn=FAKE_PARAMETERS["learns"],
        guess=FAKE_PARAMETERS["guesses"],
        slip=FAKE_PARAMETERS["slips"],
    )
    first, known = bkt_step(params.prior, True, params)
    assert model.predict_then_learn(answer("new", "q1", 1.0, "a", "b")) == pytest.approx(first)
    second, _ = bkt_step(known, False, params)
    assert model.predict_then_learn(answer("new", "q1", 0.0, "a", "b")) == pytest.approx(second)
    # A skill set never seen in train: the train success rate (1 of 2).
    assert model.predict_then_learn(answer("new", "q9", 1.0, "z")) == 0.5


def test_bkt_is_skipped_with_the_reason_when_pybkt_cannot_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pyBKT", None)  # import fails
    with pytest.raises(ModelUnavailable, match="pyBKT is not importable"):
        PyBKT()
    data = ReplayData(
        source="tiny",
        train=[answer("t", "q", 1.0)],
        test=[answer("u", "q", 0.0)],
        items={"q": ItemInfo(skills=("a",))},
    )
    result = run_evaluation(data, models=["elo", "bkt"])
    assert [run.name for run in result.runs] == ["elo"]
    assert "pyBKT is not importable" in result.skipped["bkt"]


# --- the production model ----------------------------------------------------------------


def test_production_model_goes_through_the_rating_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, datetime, float]] = []

    def spy(store: object, attempt: GradedAttempt, **kwargs: object) -> AppliedAttempt:
        applied = apply_graded_attempt(store, attempt, **kwargs)  # type: ignore[arg-type]
        calls.append((str(kwargs["item_id"]), kwargs["occurred_at"], applied.predicted))  # type: ignore[arg-type]
        return applied

    monkeypatch.setattr(production, "apply_graded_attempt", spy)
    items = {"q1": ItemInfo(skills=("a", "b")), "q2": ItemInfo(skills=("a",))}
    model = ProductionModel(items, ModelConfig())
    first = model.predict_then_learn(answer("s", "q1", 1.0, "a", "b"))
    timed = Response(student_id="s", item_id="q2", skills=("a",), score=0.0, timestamp=86400.0)
    second = model.predict_then_learn(timed)
    assert [c[2] for c in calls] == [first, second]
    assert calls[0][1] == NO_TIME
    assert calls[1][1] == datetime(1970, 1, 2, tzinfo=UTC)
    # Fresh student (1200) against a fresh unlabelled item (1200 on every skill): 0.5.
    assert first == 0.5
    # The prediction came before the update: the correct answer raised skill a, so q2
    # (still at 1200) was predicted above 0.5 although the answer was wrong.
    assert second > 0.5
    assert model.store.students["s"].ability.attempts == 2


def test_production_model_equals_the_workers_apply_attempt_on_every_response() -> None:
    # The same answers as events through `apply_attempt` (what the worker and replay run)
    # and as score-only responses through the production model: the same predictions and
    # the same ratings afterwards, to the last bit.
    items = {
        "q1": ItemInfo(skills=("a", "b")),
        "q2": ItemInfo(skills=("a",), initial_difficulties={"a": 1400.0}),
        "q3": ItemInfo(skills=("b", "c", "d")),
    }
    rng = np.random.default_rng(3)
    responses = [
        Response(
            student_id=f"s{rng.integers(4)}",
            item_id=f"q{rng.integers(1, 4)}",
            skills=(),
            score=float(rng.integers(2)),
            timestamp=float(n * 3600),
        )
        for n in range(200)
    ]
    model = ProductionModel(items, ModelConfig())
    worker = ProductionModel(items, ModelConfig()).store
    for n, response in enumerate(responses):
        event = AttemptIn(
            event_id=f"e{n}",
            student_id=response.student_id,
            item_id=response.item_id,
            score=response.score,
        )
        expected = apply_attempt(
            worker,
            event,
            occurred_at=datetime.fromtimestamp(n * 3600, UTC),
            config=ModelConfig(),
        )
        assert model.predict_then_learn(response) == expected.predicted
    assert model.store.students == worker.students
    assert model.store.items == worker.items
    assert model.store.item_attempts == worker.item_attempts


def test_production_model_uses_catalogue_difficulties_and_original_attempts() -> None:
    items = {"q": ItemInfo(skills=("a",), initial_difficulties={"a": 1600.0})}
    model = ProductionModel(items, ModelConfig())
    # 400 points harder than a fresh student: 10:1 odds against.
    assert model.predict_then_learn(answer("s", "q", 1.0)) == pytest.approx(1.0 / 11.0)
    original = AttemptIn(event_id="e1", student_id="s", item_id="q", score=1.0, hints_used=3)
    assert attempt_of(Response("s", "q", ("a",), 1.0, attempt=original)) is original
    built = attempt_of(answer("s", "q", 0.5))
    assert (built.student_id, built.item_id, built.score, built.attempts) == ("s", "q", 0.5, 1)
