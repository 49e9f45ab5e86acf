"""Request and response models of the experiments' routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from smartpractice.api.schemas import Timestamp

__all__ = [
    "ArmIn",
    "ArmOut",
    "ArmResultOut",
    "ComparisonOut",
    "ExperimentIn",
    "ExperimentList",
    "ExperimentOut",
    "ExperimentResultsOut",
    "ExperimentScopeIn",
    "GuardrailIn",
    "GuardrailResultOut",
    "LookOut",
    "MetricValueOut",
    "PlannedSizeOut",
]

Name = Annotated[str, Field(min_length=1, max_length=100)]
Place = Annotated[str, Field(min_length=1, max_length=200)] | None


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class ExperimentScopeIn(_Input):
    """Where the experiment runs; leave all unset for everywhere."""

    subject: Place = None
    chapter: Place = None
    topic: Place = None


class ArmIn(_Input):
    """One arm: a name, a share of the students (0-1; the shares sum to 1), a policy, and
    the settings that differ from the tenant's (``{"selection": {...}, "path": {...}}``)."""

    name: Name
    share: float = Field(gt=0, le=1)
    policy: Literal["smart_practice", "textbook"] = "smart_practice"
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)


class GuardrailIn(_Input):
    """A metric no arm may worsen by more than `margin` (the metric's units)."""

    metric: Name
    margin: float = Field(ge=0, le=1000)
    harmful: Literal["increase", "decrease"] = "increase"


def _default_guardrails() -> list[GuardrailIn]:
    return [
        GuardrailIn(metric="frustration_rate", margin=0.02),
        GuardrailIn(metric="solution_view_rate", margin=0.05),
        GuardrailIn(metric="dropoff_rate", margin=0.05),
    ]


class ExperimentIn(_Input):
    """A new experiment (created as a draft; `start` serves it)."""

    experiment_id: Annotated[str, Field(min_length=1, max_length=100)]
    hypothesis: Annotated[str, Field(min_length=1, max_length=5000)]
    scope: ExperimentScopeIn = Field(default_factory=ExperimentScopeIn)
    arms: list[ArmIn] = Field(min_length=2, max_length=10)
    primary_metric: Name = "first_attempt_residual"
    guardrails: list[GuardrailIn] = Field(default_factory=_default_guardrails, max_length=20)
    minimum_detectable_effect: float = Field(gt=0, le=1000)
    planned_students: int = Field(ge=0, le=100_000_000)
    orthogonal: bool = False
    auto_stop: bool = True


class ArmOut(BaseModel):
    name: str
    share: float
    policy: str
    overrides: dict[str, dict[str, Any]]


class GuardrailOut(BaseModel):
    metric: str
    margin: float
    harmful: str


class ScopeOut(BaseModel):
    subject: str | None
    chapter: str | None
    topic: str | None


class ExperimentOut(BaseModel):
    """An experiment's plan and state (`status`: draft, running or stopped; `flag`: why a
    guardrail was breached)."""

    experiment_id: str
    hypothesis: str
    scope: ScopeOut
    arms: list[ArmOut]
    primary_metric: str
    guardrails: list[GuardrailOut]
    minimum_detectable_effect: float
    planned_students: int
    orthogonal: bool
    auto_stop: bool
    status: str
    created_at: Timestamp
    started_at: Timestamp | None
    stopped_at: Timestamp | None
    flag: str | None
    stop_reason: str | None


class ExperimentList(BaseModel):
    data: list[ExperimentOut]


class MetricValueOut(BaseModel):
    value: float | None
    standard_error: float | None
    students: int
    count: float


class ArmResultOut(BaseModel):
    name: str
    policy: str
    share: float
    students: int
    picks: int
    metrics: dict[str, MetricValueOut]


class ComparisonOut(BaseModel):
    """Treatment minus control: `interval` fixed-horizon 95% (read once), `sequence`
    always-valid 95% (read any time); `conclusive`: the sequence excludes 0."""

    metric: str
    arm: str
    control: str
    estimate: float
    interval: tuple[float, float]
    sequence: tuple[float, float]
    conclusive: bool


class GuardrailResultOut(BaseModel):
    metric: str
    arm: str
    margin: float
    harmful: str
    breached: bool
    sequence: tuple[float, float]
    reason: str


class LookOut(BaseModel):
    at: Timestamp
    students: int
    estimate: float | None
    interval: tuple[float, float] | None
    sequence: tuple[float, float] | None


class PlannedSizeOut(BaseModel):
    sd: float | None
    fixed_per_arm: int | None
    sequential_per_arm: int | None


class ExperimentResultsOut(BaseModel):
    """Live results: per-arm metrics, comparisons with the control, guardrails, the
    primary metric's history, the sample-size plan and a one-line verdict."""

    experiment: ExperimentOut
    computed_at: Timestamp
    observed_until: Timestamp
    arms: list[ArmResultOut]
    comparisons: list[ComparisonOut]
    guardrails: list[GuardrailResultOut]
    history: list[LookOut]
    planned: PlannedSizeOut
    verdict: str
