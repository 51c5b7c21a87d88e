"""pipeline_runs rows and failure alerts (one log line; a JSON POST to a real local webhook)."""

from __future__ import annotations

import http.server
import json
import logging
import threading
from datetime import date
from pathlib import Path

import pytest

from pipeline.flows.runlog import alert_failure, tracked
from pipeline.warehouse.catalog import query
from pipeline.warehouse.storage import Warehouse


def test_failed_stage_is_recorded_with_its_error(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    with tracked(wh, "run-1", date(2026, 3, 1), "stage:posts") as n:
        n["rows_in"], n["rows_out"] = 10, 9
    with pytest.raises(ValueError), tracked(wh, "run-1", date(2026, 3, 1), "mart:x"):
        raise ValueError("boom\nsecond line")
    rows = {r["stage"]: r for r in query(wh, "select * from pipeline_runs").to_pylist()}
    assert rows["stage:posts"]["status"] == "success" and rows["stage:posts"]["rows_out"] == 9
    assert rows["mart:x"]["status"] == "failed" and rows["mart:x"]["error"] == "ValueError: boom"


def test_failure_alert_logs_one_line_and_posts_to_the_webhook(
    caplog: pytest.LogCaptureFixture,
) -> None:
    received: list[dict] = []  # type: ignore[type-arg]

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with caplog.at_level(logging.ERROR):
            alert_failure("influencer_daily.stage_posts", date(2026, 3, 1), "r1",
                          RuntimeError("disk full\ntrace"), f"http://127.0.0.1:{server.server_address[1]}/hook")  # fmt: skip
    finally:
        server.shutdown()
    assert [r.getMessage() for r in caplog.records] == [
        "clout: influencer_daily.stage_posts failed for 2026-03-01 (run r1): disk full"
    ]
    assert received == [{"text": "clout: influencer_daily.stage_posts failed for 2026-03-01: disk full",
                         "task": "influencer_daily.stage_posts", "dt": "2026-03-01", "run_id": "r1",
                         "error": "disk full"}]  # fmt: skip
