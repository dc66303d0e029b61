"""Faust wiring: the app, its topics, tables and agents. Thin: decode, call the core, send."""
