"""An S3-compatible server on loopback for the object-store tests: moto's server mode.

moto cannot join the project's venv (its botocore needs ``python-dateutil<3``, the constraints
pin 4.0.0), so it lives in its own venv, ``.venv-moto/`` in the repository (``make test``
creates it first; a test run without it creates it here, once, under a file lock). Each
pytest-xdist worker starts its own ``moto_server`` on a free port; every test gets fresh buckets.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv-moto"
#: What ``make install-moto`` installs (keep the two in step).
MOTO = "moto[server]==5.2.5"
STAMP = VENV / f".installed-{MOTO.split('==')[1]}"
#: Credentials moto accepts (any); region of the test buckets.
ENV = {"AWS_ACCESS_KEY_ID": "clout-test", "AWS_SECRET_ACCESS_KEY": "clout-test-secret",
       "AWS_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true"}  # fmt: skip


def moto_server_bin() -> Path:
    """``.venv-moto/bin/moto_server``, creating the venv first where it is missing."""
    exe = VENV / "bin" / "moto_server"
    with (REPO / ".venv-moto.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not STAMP.exists():
            shutil.rmtree(VENV, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
            subprocess.run(
                [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", MOTO],
                check=True, timeout=600,
            )  # fmt: skip
            STAMP.touch()
    return exe


@dataclass
class S3Server:
    """A running ``moto_server``: its URL and the AWS variables that point clients at it."""

    url: str
    proc: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)

    def bucket(self, prefix: str = "wh") -> str:
        """A new empty bucket; returns ``s3://<bucket>/<prefix>`` (a warehouse root)."""
        name = f"clout-{uuid.uuid4().hex[:12]}"
        httpx.put(f"{self.url}/{name}", timeout=10).raise_for_status()
        return f"s3://{name}/{prefix}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_server(port: int, log: Path) -> S3Server:
    """Start ``moto_server`` on 127.0.0.1:``port`` and wait until it answers (RuntimeError
    when it cannot start)."""
    exe = moto_server_bin()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(exe), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **ENV},
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited ({proc.returncode}): {log.read_text()[-500:]}")
        try:
            httpx.get(url, timeout=1)
            return S3Server(url, proc, {**ENV, "AWS_ENDPOINT_URL": url})
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"moto_server did not answer on {url} within 30 s")
