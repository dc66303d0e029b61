"""Progress bars for long CLI operations (produce, replay, backfill, redrive).

Drawn on stderr with tqdm, and only when stderr is a terminal: stdout stays clean for
pipes, and logs, CI and tests never see carriage-return noise.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from tqdm import tqdm

DEFAULT_WIDTH = 80


def progress_bar(*, total: int | None, desc: str, unit: str = "msg",
                 enabled: bool | None = None) -> Any:
    """A tqdm bar on stderr; ``enabled=None`` means "only when stderr is a TTY"."""
    show = sys.stderr.isatty() if enabled is None else enabled
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not show,
                ncols=_width() if show else None, leave=False)


def _width() -> int:
    """The terminal's width; pseudo-terminals without a size report 0 (tqdm then draws
    nothing at all), so fall back to a fixed width."""
    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError):
        return DEFAULT_WIDTH
    return columns if columns > 0 else DEFAULT_WIDTH
