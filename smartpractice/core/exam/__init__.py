"""Exam readiness: blueprints of board exams, JEE and NEET papers, the expected score on a
paper drawn to a blueprint, practice ranked by marks per hour before the exam date, and
mock tests assembled to the blueprint. Pure: plain data in, plain data out; no I/O."""
