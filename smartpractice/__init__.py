"""smartpractice: knowledge tracing and Smart Practice selection for ed-tech apps."""

__version__ = "0.1.0"
__all__ = ["__version__"]
