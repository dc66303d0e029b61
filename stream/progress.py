"""Progress bars for long CLI operations (produce, replay, backfill, redrive).

Drawn on stderr with tqdm, and only when stderr is a terminal: stdout stays clean for
pipes, and logs, CI and tests never see carriage-return noise.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from tqdm import tqdm

#: Used when the terminal reports no size (tqdm then draws nothing at all).
DEFAULT_SIZE = os.terminal_size((80, 24))


def progress_bar(*, total: int | None, desc: str, unit: str = "msg",
                 enabled: bool | None = None) -> Any:
    """A tqdm bar on stderr; ``enabled=None`` means "only when stderr is a TTY"."""
    show = sys.stderr.isatty() if enabled is None else enabled
    size = _terminal_size() if show else DEFAULT_SIZE
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not show,
                ncols=size.columns, nrows=size.lines, leave=False)


def _terminal_size() -> os.terminal_size:
    """stderr's terminal size; a pseudo-terminal without one reports 0x0."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError):
        return DEFAULT_SIZE
    return size if size.columns > 0 and size.lines > 0 else DEFAULT_SIZE
