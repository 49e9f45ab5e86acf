"""In-memory adapters of the service's ports: ratings and catalogue in dictionaries, for
tests, offline replay, evaluation and simulation."""
