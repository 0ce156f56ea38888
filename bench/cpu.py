"""Who used the CPU during a load run: the server (gunicorn and PostgreSQL), wrk, and everyone else.

wrk runs on the same cores as the server, and other sessions' work on the machine skews every
figure; each run reports both shares so a reader can tell a quiet run from a noisy one.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

from bench.config import log
from tests.servers import Gunicorn


@dataclass
class CpuSnapshot:
    """Machine-wide busy CPU seconds, and those of the benchmark's own processes."""

    at: float
    busy: float
    ours: float
    server: float  # gunicorn and PostgreSQL
    client: float  # finished children of this script: wrk


def cpu_snapshot(server: Gunicorn) -> CpuSnapshot:
    """Read /proc/stat and the CPU time of gunicorn, PostgreSQL, wrk and this script."""
    hz = os.sysconf("SC_CLK_TCK")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    serving = sum(_process_cpu(pid) for pid in serving_pids(server))
    script, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    client = children.ru_utime + children.ru_stime
    ours = serving + client + script.ru_utime + script.ru_stime
    busy = (user + nice + system + irq + softirq + steal) / hz
    return CpuSnapshot(time.monotonic(), busy, ours, serving, client)


def wait_for_quiet(server: Gunicorn, seconds: float) -> None:
    """Wait up to `seconds` for a second in which other processes use under 10% of the CPU."""
    deadline, used = time.monotonic() + seconds, 0.0
    while time.monotonic() < deadline:
        before = cpu_snapshot(server)
        time.sleep(1)
        used = others_share(before, cpu_snapshot(server))
        if used < 0.10:
            return
    if seconds:
        log(f"the machine did not get quiet within {seconds:.0f} s (others use {used:.0%}); measuring anyway")


def others_share(before: CpuSnapshot, after: CpuSnapshot) -> float:
    """The share of all CPUs that other processes used between two snapshots."""
    return share(before, after, max(0.0, (after.busy - before.busy) - (after.ours - before.ours)))


def share(before: CpuSnapshot, after: CpuSnapshot, cpu_seconds: float) -> float:
    """CPU seconds as a share of all the machine's CPUs between two snapshots."""
    elapsed = (after.at - before.at) * (os.cpu_count() or 1)
    return cpu_seconds / elapsed if elapsed else 0.0


def _process_cpu(pid: int) -> float:
    """utime + stime of one process, in seconds (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serving_pids(server: Gunicorn) -> list[int]:
    """gunicorn's master and workers, and PostgreSQL's processes: the database is part of what is measured."""
    return [server.process.pid, *server.worker_pids(), *_postgres_pids()]


def _postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                found.append(int(entry.name))
    return found
