"""`quick_init`: the faster constructor keeps a frozen dataclass's signature and behaviour."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field

import pytest

from smartpractice.core.rating.elo import AttemptUpdate
from smartpractice.core.records import quick_init
from smartpractice.core.types import (
    GradedAttempt,
    ItemRatings,
    RatingState,
    SkillEvidence,
    StudentRatings,
)
from smartpractice.services.ports import ItemContext
from smartpractice.services.rating import AppliedAttempt
from smartpractice_lab.evaluation.dataset import Response


@quick_init
@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    count: int = 3
    tags: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Plain:
    name: str
    count: int = 3
    tags: dict[str, int] = field(default_factory=dict)


def test_positional_keyword_and_default_arguments_fill_the_same_fields() -> None:
    assert Sample("a") == Sample(name="a", count=3, tags={})
    assert Sample("a", 5, {"x": 1}).count == 5
    assert Sample("a", tags={"x": 1}).tags == {"x": 1}
    # A default factory gives every instance its own object.
    assert Sample("a").tags is not Sample("a").tags
    assert repr(Sample("a")) == "Sample(name='a', count=3, tags={})"


def test_the_signature_and_errors_are_the_dataclass_ones() -> None:
    assert list(inspect.signature(Sample).parameters) == list(inspect.signature(Plain).parameters)
    with pytest.raises(TypeError):
        Sample()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Sample("a", 1, {}, 4)  # type: ignore[call-arg]


def test_instances_stay_frozen_and_replaceable() -> None:
    sample = Sample("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample.count = 4  # type: ignore[misc]
    assert dataclasses.replace(sample, count=9) == Sample("a", 9)


@pytest.mark.parametrize(
    "cls",
    [
        RatingState,
        StudentRatings,
        ItemRatings,
        GradedAttempt,
        SkillEvidence,
        AttemptUpdate,
        ItemContext,
        AppliedAttempt,
        Response,
    ],
)
def test_the_per_attempt_records_keep_their_dataclass_signature(cls: type) -> None:
    names = [f.name for f in dataclasses.fields(cls)]
    assert list(inspect.signature(cls).parameters) == names
    for f, parameter in zip(
        dataclasses.fields(cls), inspect.signature(cls).parameters.values(), strict=True
    ):
        if f.default is not dataclasses.MISSING:
            assert parameter.default == f.default


def test_other_classes_are_refused() -> None:
    @dataclass
    class Mutable:
        name: str

    with pytest.raises(TypeError, match="frozen, slotted"):
        quick_init(Mutable)

    @dataclass(frozen=True, slots=True)
    class Hooked:
        name: str

        def __post_init__(self) -> None:
            pass

    with pytest.raises(TypeError, match="__post_init__"):
        quick_init(Hooked)
