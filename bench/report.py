"""The report: a table on the terminal, and the generated part of docs/benchmarks.md.

Hand-written notes below NOTES_MARKER in the doc are kept when it is rewritten.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from bench.config import PUBLIC_COUNT, QUEUE_COUNT, WORKERS
from bench.runs import Memory
from bench.scenarios import Goal, Result, best_baseline, ratio_text

NOTES_MARKER = "<!-- Notes below this line are kept when `make bench` rewrites this file. -->"
HEADERS = [
    "scenario",
    "what",
    "requests",
    "req/s",
    "counted rate",
    "× baseline",
    "p50 ms",
    "p99 ms",
    "non-2xx/3xx",
    "socket errors",
    "server CPU",
    "wrk CPU",
    "others' CPU",
]


def table_rows(results: list[Result]) -> list[list[str]]:
    """One row of figures per result."""
    return [
        [
            r.name,
            r.label,
            str(r.run.requests),
            f"{r.run.rps:.1f}",
            f"{r.rate:.1f} {r.rate_unit}" if r.rate_unit != "req/s" else "",
            ratio_text(r.ratio),
            f"{r.run.p50_ms:.1f}",
            f"{r.run.p99_ms:.1f}",
            str(r.run.errors.get("status", 0)),
            str(r.run.socket_errors),
            f"{r.run.server_cpu:.0%}",
            f"{r.run.client_cpu:.0%}",
            f"{r.run.others_cpu:.0%}",
        ]
        for r in results
    ]


def goal_rows(results: list[Result], memory: Memory) -> list[Goal]:
    """Each measured scenario's goal, then the workers' memory."""
    rows = [r.scenario.goal(r) for r in results if r.scenario.goal]
    if memory:
        peak = max(worker.peak_mb for _, worker in memory)
        rows.append(("Every worker's peak RSS < 150 MB", f"max {peak:.0f} MB", peak < 150))
    return rows


def text_table(rows: list[list[str]]) -> str:
    """A plain aligned table for the terminal."""
    widths = [max(len(row[i]) for row in [HEADERS, *rows]) for i in range(len(HEADERS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in [HEADERS, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def print_summary(results: list[Result], memory: Memory, goals: list[Goal], problems: list[str]) -> None:
    """The figures, notes, memory, goals and problems on the terminal."""
    print(text_table(table_rows(results)))
    for result in results:
        for note in result.notes:
            print(f"  {result.name}: {note}")
    for kind, worker in memory:
        print(f"  worker {worker.pid} ({kind}): peak RSS {worker.peak_mb:.1f} MB")
    for goal, measured, met in goals:
        print(f"  {'MET    ' if met else 'NOT MET'}  {goal}: {measured}")
    if noise_warning(results):
        print(noise_warning(results).strip().replace("**", ""))
    for problem in problems:
        print(problem)


def noise_warning(results: list[Result]) -> str:
    """A warning paragraph when other work competed for the CPU."""
    busy = [f"{r.name} {r.run.others_cpu:.0%}" for r in results if r.run.others_cpu > 0.10]
    if not busy:
        return ""
    return (
        "\n\n**Warning:** other processes used a noticeable share of the CPU during "
        + ", ".join(busy)
        + "; re-run on a quiet machine before comparing figures."
    )


# ---------------------------------------------------------------- docs/benchmarks.md


def load_average() -> str:
    """The 1-minute load average (other work on the machine skews every figure)."""
    with contextlib.suppress(OSError):
        return Path("/proc/loadavg").read_text().split()[0]
    return "?"


def machine(load_at_start: str) -> str:
    """nproc, the CPU model and the load before the benchmark started."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs (nproc), {model}; 1-minute load average {load_at_start} before the run"


def app_version(app_dir: Path) -> str:
    """The commit the app was measured at, and whether its tree had uncommitted changes."""
    head = subprocess.run(
        ["git", "-C", str(app_dir), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    if head.returncode != 0:
        return f"{app_dir} (not a git checkout)"
    dirty = subprocess.run(
        ["git", "-C", str(app_dir), "status", "--porcelain"], capture_output=True, text=True
    )
    state = " with uncommitted changes" if dirty.stdout.strip() else ""
    return f"commit {head.stdout.strip()}{state} ({app_dir})"


def render_report(options, results: list[Result], memory: Memory, goals: list[Goal], problems) -> str:
    """The generated part of docs/benchmarks.md: everything above the notes marker."""
    return "\n".join(
        [
            setup_section(options),
            results_section(results, problems),
            "## Goals\n",
            markdown_table(["goal", "measured", "result"], goal_table(goals)),
            "\n## Worker memory at the end of each server run\n",
            markdown_table(
                ["server", "worker pid", "peak RSS (VmHWM) MB", "RSS now MB"], memory_table(memory)
            ),
            f"\n{NOTES_MARKER}\n",
        ]
    )


def setup_section(options) -> str:
    """When, on what, with which command, server, load and data."""
    return f"""# Load benchmark

Generated by `make bench` (`python -m bench`); do not edit above the notes marker, re-run instead.

- **Date:** {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
- **Machine:** {machine(options.load_at_start)}; wrk runs on the same machine as the server
- **App:** {app_version(options.app_dir)}
- **Command:** `{options.command}`
- **Server:** gunicorn, {WORKERS} sync workers, 127.0.0.1, `SECRET_KEY` fixed, `RATELIMIT_ENABLED=false`, \
`SIGNON_MIN_SECONDS=0`; the `nginx_*` scenarios go through Debian's nginx with `deploy/nginx.conf` (as \
`make serve-nginx` runs it) in front of the same gunicorn on a fresh SQLite database, and compare the \
page with the same nginx serving the page's very bytes as a static file on another port
- **Load:** wrk `-t{options.threads} -c{options.connections} -d{options.duration}s --latency --timeout 30s`; \
sign-ons with `-t{options.connections} -c{options.connections}` (one connection per thread, so each \
thread's GET/POST state machine sees its own answers); the moderation queue with \
`-c{options.queue_connections}` (moderators at once); `public_page` and the sign-ons' GETs send \
`Accept-Encoding: gzip` as browsers do (the sign-on script inflates it with zlib through LuaJIT's FFI)
- **Data:** statement `bench` with {PUBLIC_COUNT:,} approved endorsements (about one in five with a Khmer \
name); statement `queue` with {QUEUE_COUNT:,} pending endorsements with contact fields; one moderator. \
PostgreSQL gets only `bench` and its list.
"""


def results_section(results: list[Result], problems: list[str]) -> str:
    """The table of figures, how to read it, and each scenario's notes."""
    baseline = best_baseline(results)
    baselines = ", ".join(f"`{r.name}`" for r in results if r.scenario.baseline)
    details = [f"- **{r.name}** {r.label}: " + "; ".join(r.notes) for r in results if r.notes]
    not_measured = "".join(f"\n**Not measured:** {problem}\n" for problem in problems)
    return f"""## Results

Requests/s and latency are wrk's, over all requests (for sign-ons: GET and POST mixed). The
"× baseline" column divides the counted rate (304 answers/s, sign-ons/s, otherwise requests/s)
by the baseline: the faster `/ping` run of this benchmark (`baseline` at the start,
`baseline_again` at the end). "non-2xx/3xx" is wrk's count of answers ≥ 400.
Latencies count only requests answered before wrk stopped: when a page takes seconds under 32
connections, the requests still queued at the end are not in p99, which then understates the wait.
"server CPU" is the share of the machine's CPU (all cores: 100% is every core busy) that
gunicorn and PostgreSQL used during the run, "wrk CPU" the share the load generator used: it
runs on the same cores, so whatever it takes the server cannot have.
"others' CPU" is the share of the machine's CPU that processes other than gunicorn, PostgreSQL,
wrk and this script used during the run (e.g. a test suite or a browser): above ~10% the figures
are skewed low.{noise_warning(results)}

{markdown_table(HEADERS, table_rows(results))}

Baseline: {baseline.run.rps:.0f} requests/s, the faster of the `/ping` runs ({baselines}).

{chr(10).join(details)}
{not_measured}"""


def goal_table(goals: list[Goal]) -> list[list[str]]:
    return [
        [goal, measured, {True: "met", False: "**not met**", None: "—"}[met]] for goal, measured, met in goals
    ]


def memory_table(memory: Memory) -> list[list[str]]:
    return [[kind, str(w.pid), f"{w.peak_mb:.1f}", f"{w.rss_mb:.1f}"] for kind, w in memory]


def write_doc(path: Path, generated: str) -> None:
    """Rewrite the generated part of the doc, keeping the notes below the marker."""
    notes = ""
    if path.exists():
        old = path.read_text()
        if NOTES_MARKER in old:
            notes = old.split(NOTES_MARKER, 1)[1].lstrip("\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(generated + ("\n" + notes if notes else ""))
