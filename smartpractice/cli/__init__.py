"""The `smartpractice` command line: thin commands over the services."""

from smartpractice.cli.app import app, main

__all__ = ["app", "main"]
