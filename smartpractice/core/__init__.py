"""The pure math core: ratings, evidence, profile and selection. No I/O here."""
