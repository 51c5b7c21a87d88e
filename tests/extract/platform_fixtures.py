"""A small local HTTP server replaying platform answers (JSON fixtures written from the
platforms' public reference documentation, ``tests/data/platforms/<platform>/``).

Real HTTP, no mocked client: a source under test talks to it as to the platform. Each route
matches a method, a path and some query parameters (or JSON body fields); its answers are
served in order, the last one repeated. Every request is recorded.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DATA = Path(__file__).resolve().parents[1] / "data" / "platforms"


@dataclass
class Answer:
    """One answer: a fixture file (under ``tests/data/platforms``) or an inline JSON value."""

    body: str | dict[str, Any] | list[Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if isinstance(self.body, str):
            return (DATA / self.body).read_bytes()
        return json.dumps(self.body).encode()


@dataclass
class Route:
    method: str
    path: str
    answers: list[Answer]
    match: dict[str, str] = field(default_factory=dict)  #: query params / body fields
    served: int = 0


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: Any


class FixtureServer:
    """Serve routes on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes
        self.requests: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                url = urlsplit(self.path)
                params = dict(parse_qsl(url.query, keep_blank_values=True))
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                seen = Seen(self.command, url.path, params,
                            {k.lower(): v for k, v in self.headers.items()}, body)  # fmt: skip
                server.requests.append(seen)
                fields = {**params, **({k: str(v) for k, v in body.items()}
                                       if isinstance(body, dict) else {})}  # fmt: skip
                for r in server.routes:
                    if (
                        r.method == self.command
                        and r.path == url.path
                        and all(fields.get(k) == v for k, v in r.match.items())
                    ):
                        answer = r.answers[min(r.served, len(r.answers) - 1)]
                        r.served += 1
                        payload = answer.payload()
                        self.send_response(answer.status)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(payload)))
                        for k, v in answer.headers.items():
                            self.send_header(k, v)
                        self.end_headers()
                        self.wfile.write(payload)
                        return
                payload = json.dumps({"error": f"no fixture for {self.command} {self.path}"})
                self.send_response(404)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload.encode())

            do_GET = _serve
            do_POST = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FixtureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def calls(self, path: str) -> list[Seen]:
        return [s for s in self.requests if s.path == path]
