"""Reading exported tables as text and matching their headers: the one header rule of every file
drop (ad-manager exports, influencer lists).

Header matching is tolerant: :func:`header_key` folds a header to lower-case letters and digits
(Unicode NFKC, so full-width and compatibility forms fold too), dropping a BOM, spaces,
newlines, underscores and punctuation. ``Ad ID``, ``ad_id``, ``AD-ID``, ``"Ad\\nID"`` and
``\\ufeffAd Id`` are all ``adid``; ``Impr.`` is ``impr``; ``Amount spent (EUR)`` is
``amountspenteur``. Two different headers that fold to the same key are the same column (the
first one wins). Targets no header matches then match a header without its bracketed notes
(:func:`loose_key`: ``Followers (IG)`` is ``followers``, ``Amount spent (EUR)`` is
``amountspent``).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

_NOT_ALNUM = re.compile(r"[\W_]+")


def header_key(name: str | None) -> str:
    """A header folded for matching: NFKC, case-folded, only letters and digits kept."""
    if name is None:
        return ""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", name).casefold())


def loose_key(name: str | None) -> str:
    """:func:`header_key` of a header without its bracketed notes (``Followers (IG)``,
    ``"Avg.\\nViews\\n(Reels)"``, ``Amount spent (EUR)``)."""
    return header_key(re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", name or ""))


def match_headers(header: Sequence[str | None], aliases: Mapping[str, Sequence[str]]
                  ) -> dict[str, int]:  # fmt: skip
    """Target -> column index: for each target the first of its aliases (in order) that some
    header matches by :func:`header_key`; where two columns match, the leftmost wins. Targets
    still unmatched then match a header by :func:`loose_key` (a column is used once)."""
    index: dict[str, int] = {}
    for keyf in (header_key, loose_key):
        used = set(index.values())
        first: dict[str, int] = {}
        for i, h in enumerate(header):
            if i not in used:
                first.setdefault(keyf(h), i)
        first.pop("", None)
        for target, names in aliases.items():
            if target in index:
                continue
            for n in names:
                hit = first.get(header_key(n))
                if hit is not None and hit not in index.values():
                    index[target] = hit
                    break
    return index


def find_header(
    rows: Sequence[Sequence[str | None]],
    aliases: Mapping[str, Sequence[str]],
    anchors: Sequence[str],
    *,
    scan: int = 15,
    least: int = 2,
) -> tuple[int, dict[str, int]] | None:
    """The header row among the first ``scan`` rows (title lines above it are skipped): the
    first row whose headers match at least ``least`` targets, one of them an ``anchor``.
    Returns (row index, target -> column index), or None."""
    for r, cand in enumerate(rows[:scan]):
        index = match_headers(cand, aliases)
        if len(index) >= least and any(a in index for a in anchors):
            return r, index
    return None


def decode(data: bytes) -> str:
    """File bytes as text: a UTF-16/UTF-8 BOM decides, else UTF-8, else Windows-1252 (what Excel
    writes on Windows); the BOM is dropped."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    sample = text[:8192]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max(",;\t|", key=first.count)


def read_csv_text(path: Path) -> list[list[str]]:
    """Every record of a delimited text file (delimiter sniffed among ``, ; TAB |``; quoted
    cells may hold the delimiter and newlines), as text."""
    text = decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), quotechar='"')
    return [list(r) for r in reader]
