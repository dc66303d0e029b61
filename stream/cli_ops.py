"""Operational commands (replay, backfill, diff, dlq), registered on the ``stream`` group."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
