"""Timing must not tell who has signed (issue 14.1): a sign-on that repeats a standing endorsement,
or an unnamed one, or one the spam checks set aside, is answered as fast as a new one.

Sign-ons are sent one at a time, in pairs (a new one and the other kind, in alternating order so
neither always goes first), and the figure is the median of the paired differences of the POST's
time: the load on the machine changes slowly, so it mostly cancels out within a pair.
"""

from __future__ import annotations

import statistics
import time
from http.client import HTTPConnection
from urllib.parse import urlencode

from bench.client import cookie_header, fetch
from bench.config import USER_AGENT, log
from bench.scenarios import Goal, Result, Target
from bench.wrk import WrkRun

PAIRS, QUICK_PAIRS = 150, 30
# Every organisation these sign-ons name starts so, for the sign-on load's check to leave them out.
TIMING_PREFIX = "Timing "
SLUG = "bench"
FORM = f"/statements/{SLUG}/sign"
BASE = {"contact_name": "Timing Probe", "authorised": "y", "website": "", "message": ""}
# The kinds compared with a new sign-on, and how each one's form is filled.
KINDS = {
    "repeat": {"organisation": "Timing Repeat Org", "email": "repeat@timing.example"},
    "repeat of an unnamed endorsement": {
        "organisation": "Timing Unnamed Org",
        "email": "unnamed@timing.example",
        "anonymous": "y",
    },
    "suspected (honeypot)": {
        "organisation": "Timing Bot Org",
        "email": "bot@timing.example",
        "homepage": "x",
    },
}


def _post_time_ms(port: int, fields: dict) -> float:
    """GET the form (not timed) as a new visitor, then the POST, timed from send to full answer."""
    page = fetch(port, "GET", FORM)
    hidden = page.hidden_fields(FORM)
    headers = {
        "User-Agent": USER_AGENT,
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": cookie_header(page.cookies()),
    }
    body = urlencode({**BASE, **hidden, **fields})
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.connect()
        started = time.perf_counter()
        connection.request("POST", f"/statements/{SLUG}/sign", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        connection.close()
    if response.status != 303:
        raise RuntimeError(f"a timing sign-on answered {response.status}")
    return elapsed


def _make_standing(port: int) -> None:
    """The endorsements the repeats repeat, each signed until its contact's mail cap is reached."""
    for fields in (KINDS["repeat"], KINDS["repeat of an unnamed endorsement"]):
        for _ in range(7):
            _post_time_ms(port, fields)
    time.sleep(2)  # the server decides sign-ons right after answering; let it finish these


def _pairs(port: int, kind: str, count: int) -> tuple[list[float], list[float]]:
    new_times, other_times = [], []
    for n in range(count):
        new = {
            "organisation": f"Timing New Org {kind[:6]} {n}",
            "email": f"new{n}.{len(kind)}@timing.example",
        }
        if n % 2:
            other_times.append(_post_time_ms(port, KINDS[kind]))
            new_times.append(_post_time_ms(port, new))
        else:
            new_times.append(_post_time_ms(port, new))
            other_times.append(_post_time_ms(port, KINDS[kind]))
    return new_times, other_times


def repeat_vs_new_signon(target: Target) -> Result:
    port = target.server.port
    count = QUICK_PAIRS if target.options.quick else PAIRS
    _make_standing(port)
    started = time.monotonic()
    every, checks, notes = [], {}, []
    for kind in KINDS:
        log(f"  {count} pairs: new vs {kind}")
        new_times, other_times = _pairs(port, kind, count)
        every += new_times + other_times
        difference = statistics.median(o - n for o, n in zip(other_times, new_times, strict=True))
        new_median = statistics.median(new_times)
        checks[kind] = (difference, new_median)
        notes.append(
            f"{kind} − new: median paired difference {difference:+.2f} ms "
            f"({difference / new_median:+.1%} of a new sign-on's median {new_median:.1f} ms), {count} pairs"
        )
    quantiles = statistics.quantiles(every, n=100)
    run = WrkRun(
        seconds=time.monotonic() - started,
        requests=len(every),
        p50_ms=statistics.median(every),
        p90_ms=quantiles[89],
        p99_ms=quantiles[98],
        max_ms=max(every),
    )
    result = Result(f"repeat vs new sign-on, one at a time, on {target.kind}", run, run.rps, "POSTs/s")
    result.checks.update(checks)
    result.notes.extend(notes)
    return result


def repeat_vs_new_goal(result: Result) -> Goal:
    worst = max(result.checks.values(), key=lambda pair: abs(pair[0]) - max(1.5, 0.08 * pair[1]))
    difference, new_median = worst
    met = all(abs(d) <= max(1.5, 0.08 * m) for d, m in result.checks.values())
    return (
        f"{result.label.split(', one')[0]}: |median paired difference| within 1.5 ms or 8 %",
        f"worst {difference:+.2f} ms ({difference / new_median:+.1%})",
        met,
    )
