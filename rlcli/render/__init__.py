"""Renderers shared by all commands: rich tables, JSON, Markdown/LaTeX writers."""
