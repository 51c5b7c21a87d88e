"""Vocabularies shared by several entities: platform codes, account categories, countries.

Vocabularies used by one entity only live in that entity's module (names in ``accounts``,
audience buckets in ``audience``, brands in ``campaigns``, media types in ``posts``). The
weights are relative; orders matter (codes index into these tuples).
"""

from __future__ import annotations

import numpy as np

from pipeline.contracts import PLATFORMS

__all__ = [
    "CATEGORIES",
    "CATEGORY_WEIGHTS",
    "COUNTRY_CODES",
    "COUNTRY_LANGUAGES",
    "COUNTRY_WEIGHTS",
    "IG",
    "TT",
    "YT",
]

#: platform codes (indices into ``pipeline.contracts.PLATFORMS``)
IG, TT, YT = (PLATFORMS.index(p) for p in ("instagram", "tiktok", "youtube"))

CATEGORIES: tuple[str, ...] = (
    "fashion", "beauty", "fitness", "food", "travel", "gaming", "tech", "parenting",
    "finance", "music", "lifestyle", "sports", "comedy", "pets",
)  # fmt: skip
CATEGORY_WEIGHTS = np.array([13, 11, 9, 9, 8, 8, 6, 5, 4, 6, 10, 4, 4, 3], dtype=float)

_COUNTRIES: tuple[tuple[str, float, str], ...] = (
    ("US", 28, "en"), ("GB", 7, "en"), ("CA", 3, "en"), ("AU", 3, "en"), ("DE", 6, "de"),
    ("FR", 5, "fr"), ("ES", 4, "es"), ("IT", 4, "it"), ("NL", 2, "nl"), ("BR", 7, "pt"),
    ("MX", 5, "es"), ("IN", 7, "en"), ("ID", 4, "id"), ("JP", 3, "ja"), ("KR", 2, "ko"),
    ("PH", 3, "en"), ("TR", 2, "tr"), ("PL", 2, "pl"), ("SE", 1, "sv"), ("NG", 2, "en"),
    ("ZA", 1, "en"),
)  # fmt: skip
COUNTRY_CODES: tuple[str, ...] = tuple(c for c, _, _ in _COUNTRIES)
COUNTRY_WEIGHTS = np.array([w for _, w, _ in _COUNTRIES], dtype=float)
COUNTRY_LANGUAGES: tuple[str, ...] = tuple(lang for _, _, lang in _COUNTRIES)
