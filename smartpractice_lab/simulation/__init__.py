"""Synthetic learners for testing and tuning selection policies (`smartpractice simulate`).

See docs/simulation.md: the learner model, the policies, the metrics and the evidence
behind the selector's defaults.
"""
