"""Use cases over storage and the math core; one transaction each."""
