"""What every CLI command shares: settings loading and one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from stream.errors import StreamError
from stream.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])


def settings_or_exit() -> Settings:
    """Settings from the environment; a bad value is one clear line, not a traceback."""
    try:
        return load_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise click.ClickException(f"bad setting STREAM_{where.upper()}: {first['msg']}") from exc


def friendly(func: F) -> F:
    """Turn the service's own errors into one clear line and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except StreamError as exc:
            raise click.ClickException(str(exc)) from exc
        except BrokenPipeError:
            sys.exit(0)

    return wrapper  # type: ignore[return-value]
