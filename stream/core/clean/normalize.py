"""Text normalisation: one readable form for output, one folded form for matching."""

from __future__ import annotations

import re
import unicodedata

import ftfy

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_QUOTE_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"',
        "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    }
)
_WORDS = re.compile(r"\w+")
#: str.translate with a dict is slow; a few C-level replaces of the characters present win.
_FOLD_PAIRS = tuple((chr(k), v) for k, v in _QUOTE_FOLD.items())
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
#: Keep the writer's typography (curly quotes, ligatures); only repair what is broken.
_FTFY_CONFIG = ftfy.TextFixerConfig(uncurl_quotes=False, fix_latin_ligatures=False,
                                    fix_character_width=False, normalization="NFC")


def normalise_text(text: str) -> str:
    """Readable normal form: mojibake fixed, NFC, no control or zero-width characters,
    single spaces, paragraphs separated by one blank line."""
    if not text:
        return ""
    fixed = ftfy.fix_text(text, _FTFY_CONFIG) if _needs_ftfy(text) else text
    fixed = unicodedata.normalize("NFC", fixed)
    fixed = fixed.replace("\r\n", "\n").replace("\r", "\n")
    fixed = _ZERO_WIDTH.sub("", fixed)
    fixed = _CONTROL.sub(" ", fixed)
    lines = [_SPACES.sub(" ", line).strip() for line in fixed.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _needs_ftfy(text: str) -> bool:
    """ftfy is the slow part; only pure-ASCII text can skip it safely."""
    return not text.isascii()


def fold_for_matching(text: str) -> str:
    """Matching-friendly form (same length as the input is NOT guaranteed): quotes and
    dashes folded to ASCII, accents stripped, lower case, whitespace collapsed."""
    folded = text
    if not folded.isascii():
        for fancy, plain in _FOLD_PAIRS:
            if fancy in folded:
                folded = folded.replace(fancy, plain)
        folded = _COMBINING.sub("", unicodedata.normalize("NFKD", folded))
    return " ".join(folded.lower().split())


def word_tokens(text: str) -> list[str]:
    """Lower-case word tokens of the folded text: the unit of fingerprints and shingles."""
    return _WORDS.findall(fold_for_matching(text))
