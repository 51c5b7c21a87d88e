"""clout report in a real headless Chromium: the page draws every chart offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from analystkit import LAST
from chromium import Browser, chromium_binary

#: Where the screenshot is kept for people to look at (CI keeps it with its workspace).
SCREENSHOT_DIR = Path(
    os.environ.get("CLOUT_TEST_ARTIFACTS", Path(__file__).parents[2] / ".artifacts")
)

DONE = (
    "window.cloutReport && window.cloutReport.rendered + window.cloutReport.errors.length"
    " === window.cloutReport.expected && window.cloutReport"
)
#: Per chart: its SVG count, data marks drawn (Vega's role-mark groups) and its box on the page.
CHARTS = """Array.from(document.querySelectorAll('.chart')).map(d => {
  const r = d.getBoundingClientRect();
  return {id: d.id, svg: d.querySelectorAll('svg').length,
          marks: d.querySelectorAll('g.role-mark > path, g.role-mark > rect, g.role-mark > line').length,
          box: [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]};
})"""


@pytest.fixture(scope="module")
def report_file(analyst_wh, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("report") / "report.html"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUT_", "AIRFLOW"))}
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "report", "--date", str(LAST), "--days", "3",
         "-o", str(out)],
        env={**base, **analyst_wh.env}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert str(out) in proc.stdout
    return out


def test_page_is_self_contained(report_file: Path) -> None:
    page = report_file.read_text()
    assert not re.search(r"<script[^>]+src=", page) and "<link" not in page
    assert "vegaEmbed" in page and page.count("<section") == 5


def test_report_renders_in_headless_chromium(report_file: Path) -> None:
    chromium_binary()
    from PIL import Image

    with Browser() as b:
        b.open(report_file)
        state = b.wait_for(DONE)
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        shot = b.screenshot(SCREENSHOT_DIR / "report.png")
        # the boxes of the layout the screenshot has (it sets the page's width first)
        charts = b.evaluate(CHARTS)
        errors = list(b.console_errors)
    assert state["errors"] == [] and state["rendered"] == state["expected"] >= 5, state
    assert errors == []
    ids = {c["id"] for c in charts}
    for section in ("campaigns", "influencers", "audience", "growth", "shortlist"):
        assert any(i.startswith(f"chart-{section}-") for i in ids), (section, ids)
    image = Image.open(shot).convert("RGB")
    for c in charts:
        assert c["svg"] == 1 and c["marks"] > 0, c
        # the pixels of the chart's box: drawn marks, not a blank area
        x, y, w, h = (round(v) for v in c["box"])
        assert w > 100 and h > 100, c
        crop = image.crop((x, y, x + w, y + h))
        colours = crop.getcolors(maxcolors=1 << 20) or []
        ink = sum(n for n, rgb in colours if min(rgb) < 200)
        assert len(colours) > 20 and ink > 0.01 * w * h, (c["id"], len(colours), ink)


def test_report_error_is_one_line(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUT_", "AIRFLOW"))}
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "report", "--date", "2026-03-40"],
        env={**base, "CLOUT_WAREHOUSE": str(tmp_path)}, capture_output=True, text=True,
        timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode != 0 and "2026-03-40" in proc.stderr and "Traceback" not in proc.stderr


def test_empty_warehouse_still_gives_a_page(tmp_path: Path) -> None:
    from pipeline.analyst.report import build_report
    from pipeline.warehouse.storage import Warehouse

    steps: list[str] = []
    page = build_report(Warehouse(tmp_path / "wh"), LAST, 7, on_step=steps.append)
    assert "no campaign_daily rows in this window" in page and "window.cloutReport" in page
    assert steps[-2:] == ["javascript", "page"] and len(steps) == 7
