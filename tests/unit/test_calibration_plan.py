"""The in-memory side of `calibrate` (`smartpractice.services.calibration`): collecting
observations, the fit with skill shifts, which item-skills change, the report, and the
evaluation's calibrated model."""

from __future__ import annotations

import pytest

from smartpractice.core.config import EloConfig, ModelConfig
from smartpractice.core.rating.calibration import CalibrationPriors
from smartpractice.services.calibration import (
    CalibrationData,
    CalibrationReport,
    DifficultyChange,
    ItemSkillState,
    plan_changes,
)
from smartpractice_lab.evaluation.calibrated import CalibratedProductionModel
from smartpractice_lab.evaluation.dataset import ItemInfo, Response
from smartpractice_lab.evaluation.production import ProductionModel

ELO = EloConfig()
PRIORS = CalibrationPriors(tolerance=1e-6)


def failed_by_strong_students() -> CalibrationData:
    """Ten students pass item a and fail item b, both of skill s; item c of skill t is
    passed by half of them."""
    data = CalibrationData()
    for n in range(10):
        data.add(f"u{n}", "a", {"s": (1.0, 1.0)})
        data.add(f"u{n}", "b", {"s": (0.0, 1.0)})
        data.add(f"u{n}", "c", {"t": (float(n % 2), 1.0)})
    return data


def test_observations_are_counted_per_attempt_and_per_skill() -> None:
    data = CalibrationData()
    data.add("u", "q", {"s": (1.2, 1.0), "t": (-0.1, 0.5)})  # clipped to [0, 1]
    data.add("u", "q", {})  # nothing to learn: not an attempt
    assert data.attempts == 1
    assert list(data.keys) == [("q", "s"), ("q", "t")]
    assert list(data.performance) == [1.0, 0.0]
    assert list(data.weight) == [1.0, 0.5]


def test_the_fit_shifts_the_unanswered_items_of_an_answered_skill_only() -> None:
    labels = {("a", "s"): 1200.0, ("b", "s"): 1200.0, ("c", "t"): 1200.0}
    labels |= {("new", "s"): 1000.0, ("other", "u"): 1200.0}
    fitted = failed_by_strong_students().fit(labels, elo=ELO, priors=PRIORS)
    assert fitted.converged
    assert fitted.values[("b", "s")][0] > 1200.0 > fitted.values[("a", "s")][0]
    assert fitted.values[("new", "s")][0] == pytest.approx(1000.0 + fitted.shifts["s"])
    assert ("other", "u") not in fitted.values  # nobody answered skill u
    assert set(fitted.shifts) == {"s", "t"}

    plain = failed_by_strong_students().fit(labels, elo=ELO, priors=PRIORS, skill_shifts=False)
    assert set(plain.values) == {("a", "s"), ("b", "s"), ("c", "t")}
    assert plain.shifts == {}


def test_calibrated_difficulties_stay_inside_the_rating_bounds() -> None:
    data = CalibrationData()
    for n in range(200):
        data.add(f"u{n}", "q", {"s": (0.0, 1.0)})
    narrow = EloConfig(rating_bounds=(1100.0, 1300.0))
    fitted = data.fit({("q", "s"): 1250.0}, elo=narrow, priors=CalibrationPriors(2000.0))
    assert fitted.values[("q", "s")][0] == 1300.0


def test_nothing_to_fit_gives_nothing() -> None:
    fitted = CalibrationData().fit({("q", "s"): 1200.0}, elo=ELO, priors=PRIORS)
    assert fitted.values == {} and fitted.converged


STATES = {
    ("new", "s"): ItemSkillState(difficulty=1000.0, attempts=0, initial=1000.0),
    ("rare", "s"): ItemSkillState(difficulty=1300.0, attempts=3, initial=1200.0),
    ("edge", "s"): ItemSkillState(difficulty=1100.0, attempts=20, initial=1200.0),
    ("same", "s"): ItemSkillState(difficulty=1150.0, attempts=1, initial=1200.0),
}
FITTED = {
    ("new", "s"): (980.0, 110.0),
    ("rare", "s"): (1250.0, 80.0),
    ("edge", "s"): (1120.0, 40.0),
    ("same", "s"): (1150.0, 90.0),
    ("gone", "s"): (1200.0, 90.0),  # no longer in the catalogue
}


def test_rarely_seen_and_new_item_skills_change_and_well_measured_ones_do_not() -> None:
    changes = plan_changes(FITTED, STATES, min_attempts=20, refit_all=False)
    assert changes == [
        DifficultyChange("new", "s", 0, 1000.0, 980.0, 1000.0, 110.0),
        DifficultyChange("rare", "s", 3, 1300.0, 1250.0, 1200.0, 80.0),
    ]
    everything = plan_changes(FITTED, STATES, min_attempts=20, refit_all=True)
    assert [c.item_id for c in everything] == ["edge", "new", "rare"]  # "same" is no change
    assert [c.item_id for c in plan_changes(FITTED, STATES, min_attempts=21, refit_all=False)] == [
        "edge",
        "new",
        "rare",
    ]
    with pytest.raises(ValueError, match="at least 1"):
        plan_changes(FITTED, STATES, min_attempts=0, refit_all=False)


def report(**overrides: object) -> CalibrationReport:
    fields: dict[str, object] = {
        "attempts": 30,
        "students": 10,
        "answered": 3,
        "fitted": 4,
        "changes": plan_changes(FITTED, STATES, min_attempts=20, refit_all=False),
        "uncalibrated": 7,
        "skipped": 0,
        "min_attempts": 20,
        "dry_run": False,
        "iterations": 9,
        "converged": True,
    }
    return CalibrationReport(**(fields | overrides))  # type: ignore[arg-type]


def test_the_report_in_json_and_in_words() -> None:
    document = report().as_json()
    assert document["item_skills"] == {
        "answered": 3,
        "fitted": 4,
        "changed": 2,
        "kept": 2,
        "uncalibrated": 7,
    }
    assert document["changes"][1] == {
        "item_id": "rare",
        "skill_id": "s",
        "attempts": 3,
        "before": 1300.0,
        "after": 1250.0,
        "initial": 1200.0,
        "standard_error": 80.0,
    }
    lines = report().summary_lines()
    assert lines[1].startswith("changed 2 item skills (item skills with fewer than 20")
    assert "rare s 3 1300 -> 1250" in "\n".join(lines)
    assert "replay" in lines[-1]
    assert report(dry_run=True).summary_lines()[-1] == "dry run: nothing written"
    assert "every item skill refitted" in report(min_attempts=None).summary_lines()[1]
    assert "no applied attempt" in report(attempts=0, changes=[]).summary_lines()[0]


def test_the_calibrated_model_seeds_rare_items_after_the_train_users() -> None:
    items = {name: ItemInfo(skills=("s",)) for name in ("anchor", "rare", "busy", "unseen")}
    train = [
        Response(student_id=f"u{n}", item_id="anchor", skills=("s",), score=1.0) for n in range(30)
    ]
    train += [
        Response(student_id=f"u{n}", item_id="rare", skills=("s",), score=0.0) for n in range(4)
    ]
    train += [
        Response(student_id=f"u{n}", item_id="busy", skills=("s",), score=float(n % 2))
        for n in range(30)
    ]
    model = CalibratedProductionModel(items, ModelConfig(), min_attempts=20)
    model.fit(train)
    difficulty = {
        item: context.ratings.difficulties["s"] for item, context in model.store.items.items()
    }
    plain = ProductionModel(items, ModelConfig())
    plain.fit(train)
    online = {
        item: context.ratings.difficulties["s"] for item, context in plain.store.items.items()
    }
    assert difficulty["busy"] == online["busy"]  # well measured: its online rating
    assert difficulty["anchor"] == online["anchor"]
    assert difficulty["rare"].value != online["rare"].value  # seeded from the fit
    # Failed by students who pass the anchor: harder than the skill's typical item (label
    # plus the skill's shift, where the unseen item now sits).
    assert difficulty["rare"].value > difficulty["unseen"].value + 50.0
    assert difficulty["rare"].attempts == online["rare"].attempts == 4  # counts untouched
    assert difficulty["unseen"].value != online["unseen"].value == 1200.0  # the skill's shift
    assert difficulty["unseen"].attempts == 0
    assert model.seeded == 2
