"""Offline language identification (py3langid: a bundled model, no download).

Only a prefix of the text is classified: a few sentences decide the language as well as
the whole article does, at a fraction of the cost (py3langid walks the text byte by byte
in Python). Measured on 95 real pages and articles in six languages: the first 200, 300,
400 or 600 characters all agree with the first 5,000 on every one.
"""

from __future__ import annotations

from functools import cache
from typing import Any

SAMPLE_CHARS = 300
MIN_CHARS = 20


@cache
def _identifier() -> Any:
    import py3langid

    return py3langid


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when there is too little text."""
    sample = text[:SAMPLE_CHARS]
    if len(sample.strip()) < MIN_CHARS:
        return None
    code, _score = _identifier().classify(sample)
    return str(code)
