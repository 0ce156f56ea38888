"""Sign-ons under load, and the check that every acknowledged one is stored exactly once."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from bench.config import USER_AGENT
from bench.paired import TIMING_PREFIX
from bench.scenarios import Goal, Result, Target, ratio_text, status_note
from bench.wrk import run_wrk


def signons(target: Target) -> Result:
    """Complete sign-ons: GET the form page, POST the form with its CSRF token, expect 303."""
    run = run_wrk(
        target.server,
        "/statements/bench",
        target.options,
        script="signon.lua",
        threads=target.options.connections,  # one connection per thread: see signon.lua
        env={
            "BENCH_PAGE": "/statements/bench/sign",
            "BENCH_SIGN": "/statements/bench/sign",
            "BENCH_USER_AGENT": USER_AGENT,
        },
    )
    counts = run.tables.get("counts", Counter())
    label = f"sign-ons (GET form page + POST form) on {target.kind}"
    result = Result(label, run, counts["ok"] / run.seconds, "sign-ons/s")
    result.checks.update(counts)
    result.notes.append(status_note(run))
    for failure in run.lists.get("failures", [])[:3]:
        result.notes.append(f"failure: {failure[:160]}")
    return result


def verify_signons(target: Target, result: Result) -> None:
    """Every 303 stored exactly once: compare the 303'd organisations with the web rows in the database."""
    answered = Counter(result.run.lists.get("ok_orgs", []))
    stored, suspected = stored_signons(target.database_url, target.statement_ids["bench"])
    checks = result.checks
    checks["suspected"] = suspected
    checks["stored"] = sum(stored.values())
    checks["lost"] = sum(1 for name in answered if name not in stored)
    checks["duplicated"] = sum(1 for count in stored.values() if count > 1)
    checks["stored_unanswered"] = sum(1 for name in stored if name not in answered)
    in_flight = (
        checks.get("posts", 0) - checks.get("ok", 0) - checks.get("failed", 0) - checks["unanswered_posts"]
    )
    checks["in_flight_at_end"] = in_flight
    result.notes.append(
        f"303s {checks.get('ok', 0)}, non-303 POSTs {checks.get('failed', 0)}, pages without form "
        f"{checks.get('get_bad', 0)}; stored {checks['stored']}, lost {checks['lost']}, duplicated "
        f"{checks['duplicated']}, flagged as suspected {suspected}, "
        f"stored but unanswered {checks['stored_unanswered']} "
        f"(POSTs in flight when wrk stopped: {in_flight})"
    )


def stored_signons(database_url: str, statement_id: int) -> tuple[Counter, int]:
    """Web sign-ons per organisation name (decided, or kept as sent and still to be decided), and how
    many of them the app flagged as suspected spam."""
    engine = sa.create_engine(database_url)
    try:
        table = sa.Table("endorsements", sa.MetaData(), autoload_with=engine)
        # The paired timing scenario signs the same statement one at a time: not part of this load.
        web = sa.and_(
            table.c.statement_id == statement_id,
            table.c.source == "web",
            sa.not_(table.c.organisation.startswith(TIMING_PREFIX)),
        )
        with engine.connect() as connection:
            per_name = connection.execute(
                sa.select(table.c.organisation, sa.func.count()).where(web).group_by(table.c.organisation)
            ).all()
            per_name += [(name, 1) for name in _undecided(engine, connection, statement_id)]
            suspected = 0
            if "suspicion" in table.c:
                suspected = connection.scalar(
                    sa.select(sa.func.count()).where(web, table.c.suspicion.is_not(None))
                )
        stored = Counter()
        for name, count in per_name:
            stored[name] += count
        return stored, suspected
    finally:
        engine.dispose()


def _undecided(engine, connection, statement_id: int) -> list[str]:
    """Sign-ons answered and kept as sent, which the server had not decided yet when it stopped."""
    if not sa.inspect(engine).has_table("signon_intake"):
        return []
    intake = sa.Table("signon_intake", sa.MetaData(), autoload_with=engine)
    waiting = sa.select(intake.c.payload).where(
        intake.c.statement_id == statement_id, intake.c.processed_at.is_(None)
    )
    names = [payload["organisation"] for payload in connection.scalars(waiting)]
    return [name for name in names if not name.startswith(TIMING_PREFIX)]


def signon_failures(result: Result) -> int:
    """Failed sign-ons: non-303 POSTs, pages without a usable form, socket errors, lost or doubled rows."""
    c = result.checks
    return (
        c.get("failed", 0)
        + c.get("get_bad", 0)
        + c.get("unanswered_posts", 0)
        + result.run.socket_errors
        + c.get("lost", 0)
        + c.get("duplicated", 0)
        + c.get("suspected", 0)
        + max(0, c.get("stored_unanswered", 0) - c.get("in_flight_at_end", 0) - c.get("unanswered_posts", 0))
    )


def signons_goal(result: Result) -> Goal:
    failures = signon_failures(result)
    return (
        "Sign-ons on SQLite ≥ 0.15× baseline, none failed or lost",
        f"{ratio_text(result.ratio)}, {failures} failed or lost",
        result.ratio >= 0.15 and failures == 0,
    )
