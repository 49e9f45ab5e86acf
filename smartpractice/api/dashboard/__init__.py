"""The web dashboard served by the API at `/dashboard`: server-rendered pages over the
service layer's read models, with charts drawn by a vendored copy of Chart.js."""

from smartpractice.api.dashboard.routes import install_dashboard, router

__all__ = ["install_dashboard", "router"]
