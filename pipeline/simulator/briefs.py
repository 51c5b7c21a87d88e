"""Demo briefs: three brief YAML files that fit the simulated world (its categories, age
buckets, countries and interests), for ``clout demo`` and tests.

``write_demo_briefs(<warehouse parent>/.demo/briefs)`` writes them; point ``CLOUT_BRIEFS`` at
that folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEMO_BRIEFS: tuple[dict[str, Any], ...] = (
    {
        "brief_id": "acme-spring",
        "brand": "Acme",
        "platforms": ["instagram", "tiktok"],
        "followers": {"min": 10_000, "max": 1_000_000},
        "niches": ["fashion", "beauty"],
        "target": {
            "age": {"18-24": 0.5, "25-34": 0.5},
            "gender": {"female": 0.7, "male": 0.3},
            "country": {"US": 0.6, "GB": 0.4},
        },
        "budget": 50_000,
        "currency": "USD",
        "goal": "conversions",
    },
    {
        "brief_id": "pixel-launch",
        "brand": "Pixel Games",
        "platforms": ["tiktok", "youtube"],
        "followers": {"min": 50_000},
        "niches": ["gaming", "tech"],
        "target": {
            "age": {"13-17": 0.3, "18-24": 0.5, "25-34": 0.2},
            "gender": {"male": 0.75, "female": 0.25},
            "interest": {"gaming": 0.7, "tech": 0.3},
        },
        "budget": 120_000,
        "currency": "EUR",
        "goal": "awareness",
    },
    {
        "brief_id": "fit-kitchen",
        "brand": "Fit Kitchen",
        "platforms": ["instagram", "youtube", "tiktok"],
        "followers": {"min": 5_000, "max": 500_000},
        "niches": ["fitness", "food"],
        "target": {
            "age": {"25-34": 0.6, "35-44": 0.4},
            "country": {"DE": 0.5, "FR": 0.3, "ES": 0.2},
        },
        "target_weights": {"age": 1, "country": 2},
        "budget": 20_000,
        "currency": "EUR",
        "goal": "conversions",
    },
)


def write_demo_briefs(folder: Path | str) -> Path:
    """Write the demo briefs as ``<brief_id>.yaml`` into ``folder``; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for brief in DEMO_BRIEFS:
        text = yaml.safe_dump(brief, sort_keys=False, allow_unicode=True)
        (folder / f"{brief['brief_id']}.yaml").write_text(text)
    return folder
