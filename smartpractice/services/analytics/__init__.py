"""Read models for the dashboard and `/metrics`: a cohort's heat map, weakest skills and
stuck students, item calibration flags, a student's history, and operations figures.

Every function reads through an `AnalyticsStore` (services/ports.py) and costs what its
page shows, not what the database holds: cohorts are read through the (skill, student)
index, histories through the student's or the item's own events, and "recent" figures over
the last `AnalyticsConfig.recent_events` applied events. Lists that are nothing but a query
(recent students, filter options, practised topics) are the store's own methods.
"""

from smartpractice.services.analytics.cohorts import CohortFilter, CohortView, cohort_view
from smartpractice.services.analytics.common import AnalyticsConfig
from smartpractice.services.analytics.items import (
    ItemDetail,
    ItemOverview,
    item_detail,
    item_overview,
)
from smartpractice.services.analytics.ops import OpsFigures, calibration_bins, ops_figures
from smartpractice.services.analytics.students import StudentOverview, student_overview

__all__ = [
    "AnalyticsConfig",
    "CohortFilter",
    "CohortView",
    "ItemDetail",
    "ItemOverview",
    "OpsFigures",
    "StudentOverview",
    "calibration_bins",
    "cohort_view",
    "item_detail",
    "item_overview",
    "ops_figures",
    "student_overview",
]
