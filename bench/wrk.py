"""wrk, the load generator: one bounded run against the server, read from what bench/report.lua prints."""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field

from bench.client import fetch
from bench.config import BENCH_DIR, log
from bench.cpu import CpuSnapshot, cpu_snapshot, others_share, share, wait_for_quiet
from tests.servers import Gunicorn


@dataclass
class WrkRun:
    """What one wrk run reported through bench/report.lua."""

    seconds: float = 0.0
    requests: int = 0
    bytes: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    tables: dict[str, Counter] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    others_cpu: float = 0.0  # share of the machine's CPU used by unrelated processes meanwhile
    server_cpu: float = 0.0  # share used by gunicorn (master and workers) and PostgreSQL
    client_cpu: float = 0.0  # share used by wrk, the load generator, on the same machine

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def socket_errors(self) -> int:
        """Connect, read, write errors and timeouts."""
        return sum(self.errors.get(k, 0) for k in ("connect", "read", "write", "timeout"))


def parse_wrk(output: str) -> WrkRun:
    """Read the BENCH lines that report.lua prints."""
    run = WrkRun()
    for line in output.splitlines():
        if not line.startswith("BENCH\t"):
            continue
        _, key, *values = line.split("\t")
        if key == "summary":
            run.seconds, run.requests, run.bytes = int(values[0]) / 1e6, int(values[1]), int(values[2])
        elif key == "errors":
            run.errors = dict(
                zip(("connect", "read", "write", "status", "timeout"), map(int, values), strict=True)
            )
        elif key == "latency":
            run.p50_ms, run.p90_ms, run.p99_ms, run.max_ms = (int(v) / 1000 for v in values)
        elif key in ("statuses", "counts"):
            run.tables.setdefault(key, Counter())[values[0]] += int(values[1])
        else:
            run.lists.setdefault(key, []).append("\t".join(values))
    return run


def run_wrk(
    server: Gunicorn,
    path: str,
    options,
    *,
    script: str,
    headers=None,
    env=None,
    threads: int | None = None,
    connections: int | None = None,
    port: int | None = None,
) -> WrkRun:
    """One bounded wrk run against the server (or another `port` on it, e.g. nginx's static
    copy), once it has finished earlier work."""
    connections = connections or options.connections
    threads = min(threads or options.threads, connections)
    settle(server)
    wait_for_quiet(server, options.wait_quiet)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{options.duration}s"]
    command += ["--latency", "--timeout", "30s", "-s", script]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port or server.port}{path}")
    before = cpu_snapshot(server)
    done = subprocess.run(
        command, cwd=BENCH_DIR, env={**os.environ, **(env or {})}, capture_output=True, text=True,
        timeout=options.duration + 120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    run = parse_wrk(done.stdout)
    if not run.seconds:
        raise RuntimeError(f"wrk printed no BENCH summary:\n{done.stdout}\n{done.stderr}")
    add_cpu_shares(run, before, cpu_snapshot(server))
    return run


def add_cpu_shares(run: WrkRun, before: CpuSnapshot, after: CpuSnapshot) -> None:
    """Who used the CPU during the run: others, the server, and wrk itself."""
    run.others_cpu = others_share(before, after)
    run.server_cpu = share(before, after, after.server - before.server)
    run.client_cpu = share(before, after, after.client - before.client)


def settle(server: Gunicorn, seconds: float = 180) -> None:
    """Wait until requests queued by the last load run are done: /ping answers fast twice running."""
    started = time.monotonic()
    fast = 0
    while fast < 2 and time.monotonic() - started < seconds:
        before = time.monotonic()
        fetch(server.port, "GET", "/ping")
        fast = fast + 1 if time.monotonic() - before < 0.1 else 0
        time.sleep(0.1)
    waited = time.monotonic() - started
    if waited > 1:
        log(f"waited {waited:.1f} s for the server to finish the requests queued by the last run")
