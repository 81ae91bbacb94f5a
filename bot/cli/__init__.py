"""The command line: the main Typer app, shared options and rendering helpers."""
