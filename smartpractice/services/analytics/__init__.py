"""Read models for the dashboard and `/metrics`: a cohort's heat map, weakest skills and
stuck students, item calibration flags, a student's history, and operations figures.

Every function reads through one SQLAlchemy session and costs what its page shows, not
what the database holds: cohorts are read through the (skill, student) index, histories
through the student's or the item's own events, and "recent" figures over the last
`AnalyticsConfig.recent_events` applied events.
"""

from smartpractice.services.analytics.cohorts import (
    CohortFilter,
    cohort_view,
    filter_options,
    practised_topics,
    recent_students,
)
from smartpractice.services.analytics.common import AnalyticsConfig
from smartpractice.services.analytics.items import item_detail, item_overview
from smartpractice.services.analytics.ops import calibration_bins, ops_figures
from smartpractice.services.analytics.students import student_overview

__all__ = [
    "AnalyticsConfig",
    "CohortFilter",
    "calibration_bins",
    "cohort_view",
    "filter_options",
    "item_detail",
    "item_overview",
    "ops_figures",
    "practised_topics",
    "recent_students",
    "student_overview",
]
