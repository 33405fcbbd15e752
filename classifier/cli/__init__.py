"""The command line: `app` (typer) and `main`, the `classifier` entry point."""

from classifier.cli.app import app, main

__all__ = ["app", "main"]
