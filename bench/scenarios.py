"""The scenarios: what a load run measures, the figure compared with the baseline, and its goal.

To add one, write `measure(target) -> Result` (usually a few lines around `measure_plain` or
`run_wrk`), optionally a `goal(result) -> Goal` and a `verify(target, result)` that checks the
database once the server has stopped, and list it with a name that says what it measures in a
server run in bench/runs.py.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.client import cookie_header, fetch, fetch_raw, login_cookie
from bench.config import PUBLIC_COUNT, QUEUE_COUNT, USER_AGENT, log
from bench.wrk import WrkRun, run_wrk
from tests.servers import Gunicorn, Nginx

Goal = tuple[str, str, bool | None]  # (goal, what was measured, met); None: not measured


@dataclass(frozen=True)
class Target:
    """What a scenario runs against: a started server on a seeded database."""

    server: Gunicorn | Nginx
    options: argparse.Namespace
    database_url: str
    kind: str  # "SQLite" or "PostgreSQL"
    statement_ids: dict[str, int]
    # What a server run's scenarios hand on to later ones (nginx: the static copy's port and rates).
    shared: dict[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    """One measured scenario."""

    label: str
    run: WrkRun
    rate: float  # the figure compared with the baseline: requests/s, 304s/s or sign-ons/s
    rate_unit: str = "req/s"
    notes: list[str] = field(default_factory=list)
    checks: dict = field(default_factory=dict)
    ratio: float | None = None
    scenario: Scenario | None = None  # set by Scenario.run

    @property
    def name(self) -> str:
        return self.scenario.name


@dataclass(frozen=True)
class Scenario:
    """A named measurement; `baseline` marks the runs every other rate is divided by."""

    name: str
    measure: Callable[[Target], Result]
    goal: Callable[[Result], Goal] | None = None
    verify: Callable[[Target, Result], None] | None = None
    baseline: bool = False

    def run(self, target: Target) -> Result:
        log(f"{self.name} on {target.kind}")
        result = self.measure(target)
        result.scenario = self
        return result


def best_baseline(results: list[Result]) -> Result:
    """The fastest baseline run: other work on the machine only ever slows one down."""
    return max((r for r in results if r.scenario.baseline), key=lambda r: r.run.rps)


def set_ratios(results: list[Result]) -> None:
    """Each result's rate as a ratio to the baseline measured in the same benchmark."""
    baseline = best_baseline(results)
    for result in results:
        result.ratio = result.rate / baseline.run.rps if baseline.run.rps else None


def ratio_text(ratio: float | None) -> str:
    """'0.52×', or three decimals for small ratios."""
    if ratio is None:
        return ""
    return f"{ratio:.3f}×" if ratio < 0.1 else f"{ratio:.2f}×"


def status_note(run: WrkRun) -> str:
    """'200×1234, 500×2' from the counted statuses."""
    statuses = run.tables.get("statuses", Counter())
    return (
        ", ".join(f"{status}×{count}" for status, count in sorted(statuses.items())) or "statuses not counted"
    )


def unexpected(run: WrkRun, expected: set[str]) -> int:
    """Answers whose status was not one of `expected`."""
    return sum(
        count for status, count in run.tables.get("statuses", Counter()).items() if status not in expected
    )


def measure_plain(
    target: Target,
    label: str,
    path: str,
    *,
    headers=None,
    expected=("200",),
    connections: int | None = None,
    count_status: bool = True,
    port: int | None = None,
) -> Result:
    """The same GET again and again under load; `count_status` checks every answer's status in Lua."""
    run = run_wrk(
        target.server,
        path,
        target.options,
        script="requests.lua",
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        env={"BENCH_COUNT_STATUS": "1" if count_status else "0"},
        connections=connections,
        port=port,
    )
    result = Result(label, run, run.rps)
    if count_status:
        result.notes.append(status_note(run))
        result.checks["unexpected"] = unexpected(run, set(expected))
    return result


# ---------------------------------------------------------------- the baseline: the app's trivial endpoint


def baseline(target: Target) -> Result:
    # Counting statuses in Lua costs wrk a little; the baseline is the one run where that would show.
    return measure_plain(target, "GET /ping", "/ping", count_status=False)


def baseline_again(target: Target) -> Result:
    return measure_plain(target, "GET /ping, again at the end", "/ping", count_status=False)


# ---------------------------------------------------------------- the public statement page


def public_page(target: Target) -> Result:
    """GET /statements/bench, the page with 10,000 endorsers, gzip as browsers take it."""
    port = target.server.port
    page = fetch(port, "GET", "/statements/bench")
    if page.status != 200:
        raise RuntimeError(f"/statements/bench answered {page.status}")
    # As every browser does; the app answers gzip from a page compressed once per version.
    gzipped = fetch_raw(port, "/statements/bench", {"Accept-Encoding": "gzip"})
    label = f"GET /statements/bench ({PUBLIC_COUNT:,} endorsers, Accept-Encoding: gzip)"
    result = measure_plain(target, label, "/statements/bench", headers={"Accept-Encoding": "gzip"})
    result.notes.append(
        f"page {len(page.body.encode()) / 1024:.0f} KiB, sent as {len(gzipped) / 1024:.0f} KiB "
        f"({gzipped.encoding or 'not compressed'})"
    )
    return result


def public_page_goal(result: Result) -> Goal:
    return (
        "Public page ≥ 0.5× baseline and p99 < 50 ms",
        f"{ratio_text(result.ratio)}, p99 {result.run.p99_ms:.0f} ms",
        result.ratio >= 0.5 and result.run.p99_ms < 50 and not result.checks.get("unexpected"),
    )


def conditional_get(target: Target) -> Result:
    """The public page again with the ETag and session cookie of a first visit: a returning reader."""
    page = fetch(target.server.port, "GET", "/statements/bench")
    etag = page.header("ETag")
    headers = {"Cookie": cookie_header(page.cookies())} if page.cookies() else {}
    if etag:
        headers["If-None-Match"] = etag
    probe = fetch(target.server.port, "GET", "/statements/bench", headers=headers)
    label = "conditional GET /statements/bench (If-None-Match)"
    expected = ("304",) if etag else ("200",)
    result = measure_plain(target, label, "/statements/bench", headers=headers, expected=expected)
    not_modified = result.run.tables.get("statuses", Counter()).get("304", 0)
    result.rate, result.rate_unit = not_modified / result.run.seconds, "304/s"
    result.checks.update(etag=etag, not_modified=not_modified, probe_status=probe.status)
    if etag:
        set_cookies = ", ".join(probe.cookies()) or "none"
        result.notes.append(
            f"ETag {etag[:24]}…; a single probe answered {probe.status} with Set-Cookie: {set_cookies}"
        )
    else:
        result.notes.append("the app sends NO ETag: measured the same GET with the session cookie only")
    return result


def conditional_get_goal(result: Result) -> Goal:
    no_etag = "" if result.checks.get("etag") else "; no ETag sent by the app"
    return (
        "Conditional GET answered 304 at ≥ 0.8× baseline",
        f"{ratio_text(result.ratio)} ({result.checks['not_modified']} × 304{no_etag})",
        result.ratio >= 0.8 and not result.checks.get("unexpected"),
    )


# ---------------------------------------------------------------- the moderators' queue


def moderation_queue(target: Target) -> Result:
    """GET /moderation/, the first page of 100,000 pending, as a logged-in moderator."""
    cookie = login_cookie(target.server.port)
    probe = fetch(target.server.port, "GET", "/moderation/", headers={"Cookie": cookie})
    if probe.status != 200:
        raise RuntimeError(f"/moderation/ with the moderator's cookie answered {probe.status}")
    # A coalition has a handful of moderators, not 32 at once: with one connection per worker
    # p99 is the page's own time; at --connections it would be mostly time spent queued.
    connections = target.options.queue_connections
    label = f"GET /moderation/ (first page, {QUEUE_COUNT:,} pending; {connections} connections)"
    result = measure_plain(target, label, "/moderation/", headers={"Cookie": cookie}, connections=connections)
    result.notes.append(f"page {len(probe.body.encode()) / 1024:.0f} KiB")
    return result


def moderation_queue_goal(result: Result) -> Goal:
    return (
        "Moderation queue first page p99 < 100 ms",
        f"p99 {result.run.p99_ms:.0f} ms",
        result.run.p99_ms < 100 and not result.checks.get("unexpected"),
    )
