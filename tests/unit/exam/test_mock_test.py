"""Unit tests for `smartpractice.core.exam.mock_test`: seeded assembly to the blueprint,
recent items left out, shortfalls named, and the score report."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartpractice.core.exam.blueprint import MarkingScheme, Section, Weight, exam_likeness
from smartpractice.core.exam.mock_test import (
    BankItem,
    BankShortfallError,
    MockPaper,
    Shortfall,
    assemble_mock_test,
    score_mock_test,
)
from smartpractice.core.exam.readiness import ExamItem, SkillEstimate, forecast_readiness
from tests.unit.exam.builders import JEE, blueprint

PAPER = blueprint((("p1", 6, 24.0), ("p2", 4, 16.0)))
SOURCES = ("pyq", "ncert_exercise", "video_quiz", "ncert_example")


def bank(per_place: int = 30) -> list[BankItem]:
    """Items over two places, difficulties 900-1500, mixed sources; every fifth PYQ is
    NEET's, and every seventh item was answered 10 days ago."""
    items = []
    for place in ("p1", "p2"):
        for n in range(per_place):
            source = SOURCES[n % 4]
            items.append(
                BankItem(
                    item_id=f"{place}-{n:02d}",
                    place=place,
                    difficulty=900.0 + 600.0 * ((n * 7) % per_place) / per_place,
                    source=source,
                    exam=("neet" if n % 5 == 0 else "jee") if source == "pyq" else None,
                    last_answered_days_ago=10.0 if n % 7 == 0 else None,
                )
            )
    return items


def ids(paper: MockPaper) -> list[str]:
    return [q.item_id for q in paper.questions]


def test_same_seed_same_paper_whatever_the_bank_order() -> None:
    items = bank()
    first = assemble_mock_test(PAPER, bank=items, rng=np.random.default_rng(5))
    # Reversed, and with some items listed twice: the same paper.
    again = assemble_mock_test(PAPER, bank=items[::-1] + items[:5], rng=np.random.default_rng(5))
    assert first == again
    # The bank holds fewer PYQs than the paper needs, so other seeds pick other items.
    others = {
        tuple(ids(assemble_mock_test(PAPER, bank=items, rng=np.random.default_rng(s))))
        for s in range(5)
    }
    assert len(others) > 1


def test_counts_per_chapter_match_and_recent_items_are_left_out() -> None:
    paper = assemble_mock_test(PAPER, bank=bank(), rng=np.random.default_rng(0))
    assert Counter(q.place for q in paper.questions) == {"p1": 6, "p2": 4}
    assert len(set(ids(paper))) == 10
    recent = {i.item_id for i in bank() if i.last_answered_days_ago is not None}
    assert not recent & set(ids(paper))
    assert paper.max_marks == 40.0
    # Within the exclusion window only: with 7 days, the items answered 10 days ago return.
    assert assemble_mock_test(
        PAPER, bank=bank(8), rng=np.random.default_rng(0), exclude_days=7.0
    ).questions


def test_a_chapter_in_two_sections_never_repeats_an_item() -> None:
    two = replace(
        PAPER,
        sections=(
            Section("A", JEE, (Weight("p1", 6, 24.0),)),
            Section("B", MarkingScheme(4.0, 0.0, 0.0), (Weight("p1", 5, 20.0),)),
        ),
        total_questions=11,
        total_marks=44.0,
    )
    paper = assemble_mock_test(two, bank=bank(), rng=np.random.default_rng(1))
    assert Counter(q.section for q in paper.questions) == {"A": 6, "B": 5}
    assert len(set(ids(paper))) == 11
    # 30 items of p1, 5 answered recently: 25 left, enough; with 12 items, 10 left, short.
    with pytest.raises(BankShortfallError, match="p1: needs 11 questions, 10 available"):
        assemble_mock_test(two, bank=bank(12), rng=np.random.default_rng(1))


def test_difficulty_is_spread_over_the_terciles_and_pyqs_of_the_exam_come_first() -> None:
    paper = assemble_mock_test(PAPER, bank=bank(), rng=np.random.default_rng(0))
    fresh = sorted(
        (i for i in bank() if i.place == "p1" and i.last_answered_days_ago is None),
        key=lambda i: (i.difficulty, i.item_id),
    )
    tercile = {item.item_id: n * 3 // len(fresh) for n, item in enumerate(fresh)}
    chosen = [q for q in paper.questions if q.place == "p1"]
    assert Counter(tercile[q.item_id] for q in chosen) == {0: 2, 1: 2, 2: 2}
    # Within each tercile, no item left out is more exam-like than one chosen.
    chosen_ids = {q.item_id for q in chosen}
    for third in range(3):
        ranks = {
            i.item_id: exam_likeness(PAPER, source=i.source, exam=i.exam)
            for i in fresh
            if tercile[i.item_id] == third
        }
        taken = [r for i, r in ranks.items() if i in chosen_ids]
        left = [r for i, r in ranks.items() if i not in chosen_ids]
        assert max(taken) <= min(left)
    assert sum(q.source == "pyq" for q in chosen) >= 3


def test_a_bank_that_cannot_fill_the_blueprint_says_what_is_missing() -> None:
    with pytest.raises(BankShortfallError) as raised:
        assemble_mock_test(PAPER, bank=bank(6), rng=np.random.default_rng(0))
    # 6 items per place, one answered recently: p1 needs 6 and has 5; p2 (needs 4) is fine.
    assert raised.value.shortfalls == (Shortfall("p1", needed=6, available=5, recent=1),)
    assert str(raised.value) == (
        "the bank cannot fill the blueprint: p1: needs 6 questions, 5 available "
        "(1 more answered recently)"
    )


@settings(max_examples=30, deadline=None)
@given(per_place=st.integers(5, 40), seed=st.integers(0, 2**32 - 1))
def test_a_paper_always_matches_the_blueprint_or_names_the_shortfall(
    per_place: int, seed: int
) -> None:
    try:
        paper = assemble_mock_test(PAPER, bank=bank(per_place), rng=np.random.default_rng(seed))
    except BankShortfallError as error:
        assert all(s.available < s.needed for s in error.shortfalls)
        return
    assert Counter(q.place for q in paper.questions) == {"p1": 6, "p2": 4}
    assert len(set(ids(paper))) == 10


def test_score_report_per_chapter_and_against_the_forecast() -> None:
    paper = assemble_mock_test(PAPER, bank=bank(), rng=np.random.default_rng(0))
    p1 = [q.item_id for q in paper.questions if q.place == "p1"]
    p2 = [q.item_id for q in paper.questions if q.place == "p2"]
    # p1: 4 right, 1 wrong, 1 left out -> 16 - 1 = 15; p2: 2 right, 2 wrong -> 6.
    answers: dict[str, bool | None] = {**dict.fromkeys(p1[:4], True), p1[4]: False, p1[5]: None}
    answers |= {p2[0]: True, p2[1]: True, p2[2]: False, p2[3]: False}
    pools = {
        p: [ExamItem(i.item_id, {p: i.difficulty}) for i in bank() if i.place == p]
        for p in ("p1", "p2")
    }
    forecast = forecast_readiness(
        PAPER,
        pools=pools,
        skills={p: SkillEstimate(1250.0, 80.0) for p in ("p1", "p2")},
        rng=np.random.default_rng(0),
    )
    report = score_mock_test(paper, answers=answers, forecast=forecast)
    assert report.marks == 21.0
    assert report.max_marks == 40.0
    assert [(p.place, p.marks, p.right, p.wrong, p.unattempted) for p in report.places] == [
        ("p1", 15.0, 4, 1, 1),
        ("p2", 6.0, 2, 2, 0),
    ]
    assert report.forecast == forecast.expected
    assert report.places[0].forecast == forecast.places[0].expected
    assert report.within_interval == (forecast.low <= 21.0 <= forecast.high)
    with pytest.raises(ValueError, match="answers for items not on the paper: nope"):
        score_mock_test(paper, answers={"nope": True})
