"""``failpoint()``: CLOUT_FAILPOINT=name[:n] SIGKILLs the process the n-th time it reaches the
point (or a point below it in dotted names), counted across threads; inert otherwise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from pipeline.warehouse.storage import failpoint

PROBE = textwrap.dedent(
    """
    import sys, threading
    from pipeline.warehouse.storage import failpoint

    def reach(name):
        failpoint(name)
        print("passed", name, flush=True)

    for name in sys.argv[1:]:
        if name.startswith("threads="):  # reach a point from many threads at once
            point, n = name[8:].split("*")
            ts = [threading.Thread(target=failpoint, args=(point,)) for _ in range(int(n))]
            [t.start() for t in ts]
            [t.join() for t in ts]
            print("passed", name, flush=True)
        else:
            reach(name)
    """
)


def _probe(spec: str | None, *names: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CLOUT_FAILPOINT"}
    if spec is not None:
        env["CLOUT_FAILPOINT"] = spec
    return subprocess.run(
        [sys.executable, "-c", PROBE, *names], env=env, capture_output=True, text=True, timeout=60
    )


def _passed(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.split()[1] for line in proc.stdout.splitlines()]


@pytest.mark.parametrize("spec", [None, ""])
def test_inert_when_unset(spec: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if spec is None:
        monkeypatch.delenv("CLOUT_FAILPOINT", raising=False)
    else:
        monkeypatch.setenv("CLOUT_FAILPOINT", spec)
    for name in ("swap", "swap.raw", "catalog", ""):
        failpoint(name)  # this test process survives


def test_inert_at_points_it_does_not_name() -> None:
    names = ["swap", "swap.rawx", "swapped.raw", "swap.staging", "catalog", "raw"]
    proc = _probe("swap.raw", *names)
    assert proc.returncode == 0, proc.stderr
    assert _passed(proc) == names


def test_kills_at_the_nth_hit_counting_dotted_children() -> None:
    proc = _probe("swap:3", "swap.raw", "manifest.raw", "swap.staging", "swap.marts", "catalog")
    assert proc.returncode == -signal.SIGKILL
    assert _passed(proc) == ["swap.raw", "manifest.raw", "swap.staging"]
    assert "clout: failpoint swap:3 reached at swap.marts: SIGKILL" in proc.stderr


def test_a_dotted_spec_counts_only_its_own_points() -> None:
    proc = _probe("swap.marts:2", "swap.raw", "swap.marts", "swap.raw", "swap.marts", "catalog")
    assert proc.returncode == -signal.SIGKILL
    assert _passed(proc) == ["swap.raw", "swap.marts", "swap.raw"]


def test_no_count_defaults_to_the_first_hit() -> None:
    proc = _probe("catalog", "swap.raw", "catalog", "catalog")
    assert proc.returncode == -signal.SIGKILL and _passed(proc) == ["swap.raw"]


def test_hits_from_threads_are_counted_once_each() -> None:
    # 8 threads reach the point: the 8th hit kills, whichever thread makes it
    assert _probe("extract.page:8", "threads=extract.page*8").returncode == -signal.SIGKILL
    survived = _probe("extract.page:9", "threads=extract.page*8", "catalog")
    assert survived.returncode == 0 and _passed(survived) == ["threads=extract.page*8", "catalog"]


def test_a_malformed_spec_is_an_error() -> None:
    proc = _probe("swap:x", "swap.raw")
    assert proc.returncode == 1 and "expected NAME or NAME:N" in proc.stderr
