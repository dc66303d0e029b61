"""The ``stream`` command line: worker, produce, tail, topics, process.

A user mistake (bad path, broker down, bad setting) prints one ``error:`` line and exits
non-zero; tracebacks are for bugs only.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
import orjson

from stream import __version__
from stream.cli_common import friendly, settings_or_exit

F = TypeVar("F", bound=Callable[..., Any])






@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stream")
def main() -> None:
    """Event-streaming ingestion for news: clean, extract and deduplicate articles on Kafka.

    Settings come from STREAM_* environment variables (see the README).
    """
    # Client libraries log connection failures themselves; the CLI reports them once, in
    # one line. The worker reconfigures logging fully when it starts.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


@main.command()
@friendly
def worker() -> None:
    """Run the Faust worker (creates missing topics first). Ctrl-C stops it."""
    from stream.worker import run_worker

    run_worker(settings_or_exit())


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--topic", help="Topic to produce to (default: STREAM_TOPIC_RAW).")
@click.option("--source", default=None,
              help="'source' field: the URL's host for WARC/feed items, 'files' otherwise.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: when stderr is a terminal).")
@friendly
def produce(paths: tuple[str, ...], topic: str | None, source: str | None,
            progress: bool | None) -> None:
    """Send raw articles to Kafka.

    PATHS: JSON Lines, .txt/.html, WARC, RSS/Atom files or http(s) feed URLs, optionally
    .gz, directories of them, or - (stdin).
    """
    from stream.inputs import DEFAULT_SOURCE
    from stream.produce import produce_paths

    settings = settings_or_exit()
    count, size = asyncio.run(produce_paths(settings, paths, topic or settings.topic_raw,
                                            source or DEFAULT_SOURCE, progress=progress))
    click.echo(f"produced {count} messages ({size} bytes) to {topic or settings.topic_raw}",
               err=True)


@main.command()
@click.argument("topic_names", metavar="TOPIC...", nargs=-1, required=True)
@click.option("--from-beginning", "-b", is_flag=True, help="Start at the oldest record.")
@click.option("--brief", is_flag=True, help="One summary line per record instead of JSON.")
@click.option("--max", "max_records", type=int, default=None, help="Stop after N records.")
@click.option("--idle-timeout", type=float, default=None,
              help="Stop after this many seconds without a record.")
@friendly
def tail(topic_names: tuple[str, ...], from_beginning: bool, brief: bool,
         max_records: int | None, idle_timeout: float | None) -> None:
    """Print the records of one or more topics as JSON Lines as they arrive."""
    from stream.produce import tail_topics

    asyncio.run(tail_topics(settings_or_exit(), list(topic_names), from_beginning=from_beginning,
                            brief=brief, max_records=max_records, idle_timeout=idle_timeout))


@main.group()
def topics() -> None:
    """Create or list the service's topics."""


@topics.command("create")
@friendly
def topics_create() -> None:
    """Create the service's topics with their partitions and configs (idempotent)."""
    from stream.kafka import create_topics

    created, existing = asyncio.run(create_topics(settings_or_exit()))
    for name in created:
        click.echo(f"created {name}")
    for name in existing:
        click.echo(f"exists  {name}")


@topics.command("list")
@friendly
def topics_list() -> None:
    """List topics on the broker with their partition counts."""
    from stream.kafka import list_topics

    for name, partitions in asyncio.run(list_topics(settings_or_exit())).items():
        click.echo(f"{name}\t{partitions}")


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--source", default=None,
              help="'source' field: the URL's host for WARC/feed items, 'files' otherwise.")
@friendly
def process(paths: tuple[str, ...], source: str | None) -> None:
    """Run the pipeline without a broker; print the records it would publish as JSON Lines.

    PATHS: JSON Lines, .txt/.html, WARC, RSS/Atom files or feed URLs, optionally .gz,
    directories of them; - or nothing reads stdin.
    """
    from stream.batch import process_payloads
    from stream.inputs import DEFAULT_SOURCE, iter_payloads
    from stream.steps import Steps

    settings = settings_or_exit()
    steps = Steps.from_settings(settings)
    out = sys.stdout.buffer
    payloads = iter_payloads(paths or ("-",), source=source or DEFAULT_SOURCE)
    for record in process_payloads(steps, payloads):
        # Encoded (and validated against its schema) exactly as the worker does.
        encoded = steps.encode(record)
        value = None if encoded.value is None else orjson.Fragment(encoded.value)
        line = {"topic": encoded.topic, "key": record.key, "value": value}
        out.write(orjson.dumps(line) + b"\n")
    out.flush()


def _register_ops_commands() -> None:
    from stream.cli_ops import COMMANDS

    for command in COMMANDS:
        main.add_command(command)


_register_ops_commands()

if __name__ == "__main__":
    main()
