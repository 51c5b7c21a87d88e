"""Brief YAML validation: one clear line naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.scoring.briefs import BriefError, load_brief, load_briefs
from pipeline.simulator.briefs import DEMO_BRIEFS, write_demo_briefs

GOOD = {
    "brief_id": "acme-spring",
    "platforms": ["instagram", "tiktok"],
    "followers": {"min": 10_000, "max": 1_000_000},
    "niches": ["fashion", "beauty"],
    "target": {"age": {"18-24": 0.5, "25-34": 0.5}, "gender": {"female": 0.7, "male": 0.3}},
    "budget": 50_000,
    "currency": "USD",
    "goal": "conversions",
}


def _write(tmp_path: Path, doc: dict, name: str = "brief.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc))
    return path


def test_the_design_example_loads(tmp_path: Path) -> None:
    b = load_brief(_write(tmp_path, GOOD))
    assert (b.brief_id, b.platforms, b.followers_min, b.followers_max) == (
        "acme-spring", ("instagram", "tiktok"), 10_000, 1_000_000)  # fmt: skip
    assert b.target["gender"] == {"female": 0.7, "male": 0.3}
    assert b.niches == ("fashion", "beauty") and b.goal == "conversions"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"target": {"gender": {"female": 0.7, "male": 0.2}}}, "target.gender", "sum to 0.9"),
        ({"platforms": ["instagram", "myspace"]}, "platforms", "unknown platform 'myspace'"),
        ({"followers": {"min": 5_000, "max": 1_000}}, "followers", "min 5000 is above max 1000"),
        ({"budget": -1}, "budget", ">"),
        ({"goal": "virality"}, "goal", "awareness"),
        ({"target": {"height": {"tall": 1.0}}}, "target.height", "unknown dimension"),
        ({"currency": "XYZ"}, "currency", "unknown"),
        ({"budgett": 1}, "unknown field 'budgett'", ""),
    ],
)
def test_errors_name_file_and_field(tmp_path: Path, change: dict, field: str, words: str) -> None:
    path = _write(tmp_path, {**GOOD, **change})
    with pytest.raises(BriefError) as e:
        load_brief(path)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith(str(path)) and field in msg and words in msg


def test_missing_budget_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(BriefError, match="budget: missing"):
        load_brief(_write(tmp_path, {k: v for k, v in GOOD.items() if k != "budget"}))
    bad = tmp_path / "bad.yaml"
    bad.write_text("brief_id: [unclosed")
    with pytest.raises(BriefError, match="not valid YAML"):
        load_brief(bad)


def test_folder_loading(tmp_path: Path) -> None:
    assert load_briefs(None) == []
    with pytest.raises(BriefError, match="not a folder"):
        load_briefs(tmp_path / "missing")
    _write(tmp_path, GOOD, "a.yaml")
    _write(tmp_path, GOOD, "b.yml")
    with pytest.raises(BriefError, match="already used"):
        load_briefs(tmp_path)


def test_demo_briefs_are_valid(tmp_path: Path) -> None:
    briefs = load_briefs(write_demo_briefs(tmp_path / "briefs"))
    assert sorted(b.brief_id for b in briefs) == sorted(d["brief_id"] for d in DEMO_BRIEFS)
