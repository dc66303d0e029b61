"""Operational commands (replay, backfill, diff, dlq), registered on the ``stream`` group.

``stream.cli`` imports this module while it is itself being imported, so nothing here
imports ``stream.cli``: the two small helpers below mirror its ``friendly`` and
``_settings`` (one ``Error: ...`` line and exit 1 for the service's own errors).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
import orjson

from stream.cli_common import friendly, settings_or_exit
from stream.errors import Reason

F = TypeVar("F", bound=Callable[..., Any])
PROGRESS = click.option("--progress/--no-progress", default=None,
                        help="Progress bar on stderr (default: only when stderr is a terminal).")






# ------------------------------------------------------------------------------ replay


@click.command()
@click.option("--topic", help="Topic to replay (default: STREAM_TOPIC_RAW).")
@click.option("--from", "start", required=True, metavar="OFFSET|TIME",
              help="First offset, or first message at/after an ISO-8601 time "
                   "(e.g. 2025-11-09T18:00:00Z; no offset means UTC).")
@click.option("--to", "stop", metavar="OFFSET|TIME",
              help="Stop before this offset / before the first message at/after this time "
                   "(default: the end offsets when the replay starts).")
@click.option("--partition", type=click.IntRange(min=0), default=None,
              help="Only this partition (default: all; an OFFSET then applies to each).")
@click.option("--rate", type=float, default=None, metavar="N",
              help="At most N messages per second (default: as fast as possible).")
@click.option("--into", help="Topic to publish to (default: the replayed topic itself).")
@PROGRESS
@friendly
def replay(topic: str | None, start: str, stop: str | None, partition: int | None,
           rate: float | None, into: str | None, progress: bool | None) -> None:
    """Re-publish a range of a topic, keys, values and headers kept, each copy marked with
    headers replay=1 and replayed-from=TOPIC/PARTITION/OFFSET.

    Safe to repeat: ids downstream are deterministic, so a replayed article is
    recognised and no article or event is counted twice.
    """
    from stream.replay import parse_bound
    from stream.replay import replay as run_replay

    settings = settings_or_exit()
    summary = asyncio.run(run_replay(
        settings, topic or settings.topic_raw, start=parse_bound(start, "--from"),
        stop=parse_bound(stop, "--to") if stop is not None else None,
        partition=partition, rate=rate, into=into, progress=progress))
    click.echo(summary.describe(), err=True)


# ---------------------------------------------------------------------------- backfill


@click.command()
@click.option("--since", required=True, metavar="DATE",
              help="Process raw messages from this ISO-8601 date or time (UTC if no offset).")
@click.option("--version", "version", required=True, metavar="V",
              help="Output version: writes articles.enriched.V, articles.duplicates.V, "
                   "events.match_results.V, events.quotes.V, articles.dlq.V.")
@PROGRESS
@friendly
def backfill(since: str, version: str, progress: bool | None) -> None:
    """Reprocess articles.raw from DATE up to its current end into versioned topics.

    The live outputs are never touched. Runs the same steps as the worker, with its own
    consumer group (<app_id>-backfill-V, committed at the end). Re-running the same
    backfill writes the same keys and values again.
    """
    from stream.backfill import backfill as run_backfill
    from stream.replay import parse_moment

    summary = asyncio.run(run_backfill(settings_or_exit(), since=parse_moment(since, "--since"),
                                       version=version, progress=progress))
    click.echo(summary.describe(), err=True)


# -------------------------------------------------------------------------------- diff


@click.command()
@click.argument("left", metavar="V1")
@click.argument("right", metavar="V2")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead.")
@click.option("--ignore", "ignored", multiple=True, metavar="FIELD",
              help="Do not count a change of this field (repeatable), e.g. pipeline_version.")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="Keys listed per output in the table.")
@friendly
def diff(left: str, right: str, as_json: bool, ignored: tuple[str, ...], limit: int) -> None:
    """Compare two versions' outputs (enriched, duplicates, match results, quotes).

    Each topic is read to its end, last value per key (compacted semantics). 'live' names
    the unversioned topics. Prints counts, added/removed keys and changed keys with the
    fields that changed.
    """
    from stream.diff import diff_versions, render_table, to_json

    diffs = asyncio.run(diff_versions(settings_or_exit(), left, right, frozenset(ignored)))
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(to_json(diffs, left, right)) + b"\n")
    else:
        click.echo(render_table(diffs, left, right, limit))


# --------------------------------------------------------------------------------- dlq

REASONS = click.Choice([r.value for r in Reason])


@click.group()
def dlq() -> None:
    """List dead letters or send them back to the raw topic."""


@dlq.command("list")
@click.option("--reason", type=REASONS, help="Only dead letters with this reason.")
@click.option("--max", "limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="Rows shown (all are counted).")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one per dead letter shown.")
@friendly
def dlq_list(reason: str | None, limit: int, as_json: bool) -> None:
    """Summary table of dead letters: reason, detail, where they came from, size."""
    from stream.dlq import list_letters, render_listing

    listing = asyncio.run(list_letters(settings_or_exit(), reason=reason, limit=limit))
    if as_json:
        for letter in listing.shown:
            sys.stdout.buffer.write(orjson.dumps(letter.summary()) + b"\n")
    else:
        click.echo(render_listing(listing))


@dlq.command("redrive")
@click.option("--reason", type=REASONS, help="Only dead letters with this reason.")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send and record nothing.")
@click.option("--into", help="Topic to publish to (default: STREAM_TOPIC_RAW).")
@PROGRESS
@friendly
def dlq_redrive(reason: str | None, dry_run: bool, into: str | None,
                progress: bool | None) -> None:
    """Re-publish dead letters' original bytes to the raw topic (header redrive=1).

    Each dead letter is sent at most once, even over repeated runs: what was redriven is
    remembered per reason in the consumer group <app_id>-dlq-redrive-REASON. Letters whose
    original was truncated, or that came from another topic, are skipped with a warning.
    """
    from stream.dlq import redrive

    summary = asyncio.run(redrive(settings_or_exit(), reason=reason, dry_run=dry_run, into=into,
                                  progress=progress))
    if dry_run:
        for letter in summary.redriven:
            click.echo(f"would redrive {letter.partition}/{letter.offset} {letter.reason} "
                       f"({letter.size} bytes) from {letter.source}")
    click.echo(summary.describe(), err=True)


COMMANDS: list[click.Command] = [replay, backfill, diff, dlq]
