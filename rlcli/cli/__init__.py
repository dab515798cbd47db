"""Thin typer commands: parse options, call the library, render the result."""
