"""Text normalisation: one readable form for output, one folded form for matching."""

from __future__ import annotations

import re
import unicodedata

import ftfy

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_MULTI_SPACE = re.compile(" {2,}")
_LINE_EDGE = re.compile(" *\n *")
#: Any character one of the steps above would change (tabs, controls, odd spaces).
_UNUSUAL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u00a0\u00ad\u2000-\u200d\u202f\u205f\u2060\u3000\ufeff]")
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
    single spaces, paragraphs separated by one blank line.

    Each step runs only when a cheap test says it has something to do: this is on the
    path of every article."""
    if not text:
        return ""
    fixed = text
    if not fixed.isascii():
        if _needs_ftfy(fixed):
            fixed = ftfy.fix_text(fixed, _FTFY_CONFIG)
        if not unicodedata.is_normalized("NFC", fixed):
            fixed = unicodedata.normalize("NFC", fixed)
    if "\r" in fixed:
        fixed = fixed.replace("\r\n", "\n").replace("\r", "\n")
    if "\u2028" in fixed or "\u2029" in fixed:
        fixed = fixed.replace("\u2028", "\n").replace("\u2029", "\n\n")
    if _UNUSUAL.search(fixed):
        fixed = _ZERO_WIDTH.sub("", fixed)
        fixed = _CONTROL.sub(" ", fixed)
        fixed = _SPACES.sub(" ", fixed)
    elif "  " in fixed:
        fixed = _MULTI_SPACE.sub(" ", fixed)
    if " \n" in fixed or "\n " in fixed:
        fixed = _LINE_EDGE.sub("\n", fixed)
    if "\n\n\n" in fixed:
        fixed = _BLANK_LINES.sub("\n\n", fixed)
    return fixed.strip()


#: What UTF-8 read as Latin-1 or Windows-1252 looks like: a lead byte (Â..ô) followed by
#: continuation bytes (U+0080..U+00BF, or the cp1252 characters at 0x80..0x9F); also
#: C1 controls and the replacement character left by a broken decode.
_CONTINUATION = "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc" \
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
_MOJIBAKE = re.compile(
    f"[\u00c2-\u00df][{_CONTINUATION}]|[\u00e0-\u00ef][{_CONTINUATION}]{{2}}"
    f"|[\u00f0-\u00f4][{_CONTINUATION}]{{3}}|[\u0080-\u009f\ufffd]|[ÃÂ][\u00a0 ]"
)


_SUSPECT = re.compile("[\u00c2-\u00f4\u0080-\u009f\ufffd]")


def _needs_ftfy(text: str) -> bool:
    """ftfy is the slow part (milliseconds); run it only when the text carries what
    mojibake looks like. Clean typography (curly quotes, accents, dashes) skips it."""
    return any(_MOJIBAKE.match(text, suspect.start()) for suspect in _SUSPECT.finditer(text))


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
    """Lower-case word tokens of the folded text: the unit of fingerprints and shingles.

    Same tokens as ``_WORDS.findall(fold_for_matching(text))`` (quotes, dashes and
    whitespace never belong to a word, so folding them is skipped on this hot path).
    """
    folded = text if text.isascii() else _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return _WORDS.findall(folded.lower())
