"""A/B experiments between policies and model settings: sticky assignment of students to
arms, per-student learning, engagement and guardrail outcomes from the answer log, and
statistics that stay valid when people look at the results every day. Pure: no I/O here."""
