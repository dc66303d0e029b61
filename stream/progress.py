"""Progress bars for long CLI operations (produce, replay, backfill, redrive).

Drawn on stderr with tqdm, and only when stderr is a terminal: stdout stays clean for
pipes, and logs, CI and tests never see carriage-return noise.
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


def progress_bar(*, total: int | None, desc: str, unit: str = "msg",
                 enabled: bool | None = None) -> Any:
    """A tqdm bar on stderr; ``enabled=None`` means "only when stderr is a TTY"."""
    show = sys.stderr.isatty() if enabled is None else enabled
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not show,
                dynamic_ncols=True, leave=False)
