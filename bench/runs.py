"""The server runs: a fresh database, gunicorn on it, and the scenarios measured in that order.

The order matters: the moderation queue is measured before the sign-ons add pending rows to it,
and the baseline both first and last, since other work on the machine only ever slows one down.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.config import (
    PG_ADMIN,
    PG_DATABASE,
    PG_URL,
    PUBLIC_COUNT,
    QUEUE_COUNT,
    SETTINGS,
    WORKERS,
    log,
    run_command,
)
from bench.nginx import nginx_front, page_through_nginx, page_through_nginx_goal, static_copy
from bench.paired import repeat_vs_new_goal, repeat_vs_new_signon
from bench.scenarios import (
    Result,
    Scenario,
    Target,
    baseline,
    baseline_again,
    conditional_get,
    conditional_get_goal,
    moderation_queue,
    moderation_queue_goal,
    public_page,
    public_page_goal,
)
from bench.seed import prepare_database
from bench.signons import signons, signons_goal, verify_signons
from bench.wrk import settle
from tests.servers import Gunicorn, WorkerMemory


@contextlib.contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    """A new file for each server run that uses SQLite."""
    path = workdir / "bench.sqlite3"
    number = 1
    while path.exists():
        number += 1
        path = workdir / f"bench-{number}.sqlite3"
    yield f"sqlite:///{path}"


@contextlib.contextmanager
def postgres_database(workdir: Path) -> Iterator[str]:
    """The benchmark's own database, `jointly_bench`, made afresh and dropped afterwards."""
    run_command(["dropdb", *PG_ADMIN, "--force", "--if-exists", PG_DATABASE])
    run_command(["createdb", *PG_ADMIN, PG_DATABASE])
    try:
        yield PG_URL
    finally:
        run_command(["dropdb", *PG_ADMIN, "--force", "--if-exists", PG_DATABASE])


@dataclass(frozen=True)
class ServerRun:
    """Scenarios measured against one server on one database; `optional` runs report a failure instead."""

    kind: str
    database: Callable[[Path], contextlib.AbstractContextManager[str]]
    scenarios: tuple[Scenario, ...]
    with_queue: bool = False  # seed the 100,000 pending endorsements too
    optional: bool = False
    behind_nginx: bool = False  # the scenarios go through nginx (deploy/nginx.conf) in front of gunicorn


SERVER_RUNS = (
    ServerRun(
        "SQLite",
        sqlite_database,
        (
            Scenario("baseline", baseline, baseline=True),
            Scenario("public_page", public_page, goal=public_page_goal),
            Scenario("conditional_get", conditional_get, goal=conditional_get_goal),
            Scenario("moderation_queue", moderation_queue, goal=moderation_queue_goal),
            Scenario("signons_sqlite", signons, goal=signons_goal, verify=verify_signons),
            Scenario("repeat_vs_new_signon", repeat_vs_new_signon, goal=repeat_vs_new_goal),
            Scenario("baseline_again", baseline_again, baseline=True),
        ),
        with_queue=True,
    ),
    ServerRun(
        "nginx",
        sqlite_database,
        (
            Scenario("nginx_static_plain", static_copy("plain")),
            Scenario("nginx_page_plain", page_through_nginx("plain"), goal=page_through_nginx_goal),
            Scenario("nginx_static_gzip", static_copy("gzip")),
            Scenario("nginx_page_gzip", page_through_nginx("gzip"), goal=page_through_nginx_goal),
        ),
        optional=True,  # without nginx installed the other figures still stand
        behind_nginx=True,
    ),
    ServerRun(
        "PostgreSQL",
        postgres_database,
        (
            Scenario("signons_postgres", signons, verify=verify_signons),
            Scenario("repeat_vs_new_signon_pg", repeat_vs_new_signon, goal=repeat_vs_new_goal),
        ),
        optional=True,  # the SQLite figures still stand without it
    ),
)

Memory = list[tuple[str, WorkerMemory]]  # (server run, worker)


@contextlib.contextmanager
def serving(app_dir: Path, database_url: str, log_path: Path) -> Iterator[Gunicorn]:
    """gunicorn as in production, but for its fixed settings: sync workers, always stopped afterwards."""
    # A graceful timeout long enough for the sign-ons still queued when wrk stops.
    server = Gunicorn(
        database_url, SETTINGS, workers=WORKERS, log_path=log_path, app_dir=app_dir, graceful_timeout=10
    )
    with server:
        log(f"gunicorn pid {server.process.pid} on 127.0.0.1:{server.port}, workers {server.worker_pids()}")
        yield server
    log(f"gunicorn pid {server.process.pid} stopped")


def run_server(server_run: ServerRun, options, workdir: Path, key_of) -> tuple[list[Result], Memory]:
    """Build the database, serve it, measure each scenario, then verify what needs the server stopped."""
    with server_run.database(workdir) as database_url:
        queue = f" + {QUEUE_COUNT:,} pending" if server_run.with_queue else ""
        log(f"building the {server_run.kind} database ({PUBLIC_COUNT:,} approved{queue})")
        ids = prepare_database(options.app_dir, database_url, key_of, with_queue=server_run.with_queue)
        log_path = workdir / f"gunicorn-{server_run.kind.lower()}.log"
        with serving(options.app_dir, database_url, log_path) as server, contextlib.ExitStack() as stack:
            target = Target(server, options, database_url, server_run.kind, ids)
            if server_run.behind_nginx:
                front, static_port, static_root = stack.enter_context(nginx_front(server, workdir))
                target = Target(front, options, database_url, server_run.kind, ids)
                target.shared.update(static_port=static_port, static_root=static_root)
            results = [scenario.run(target) for scenario in server_run.scenarios]
            settle(target.server)  # let POSTs still queued when wrk stopped finish before counting rows
            memory = [(server_run.kind, worker) for worker in target.server.memory()]
        for result in results:
            if result.scenario.verify:
                result.scenario.verify(target, result)
    return results, memory


def run_all(options, workdir: Path, key_of) -> tuple[list[Result], Memory, list[str]]:
    """Every server run; a failed optional run becomes a problem in the report."""
    results, memory, problems = [], [], []
    for server_run in SERVER_RUNS:
        if (options.skip_postgres and server_run.kind == "PostgreSQL") or (
            options.skip_nginx and server_run.behind_nginx
        ):
            continue
        try:
            run_results, run_memory = run_server(server_run, options, workdir, key_of)
        except Exception as error:
            if not server_run.optional:
                raise
            problems.append(f"The {server_run.kind} run failed: {error_summary(error)}")
            log(f"{problems[-1]} (logs in {workdir})")
            options.keep = True
            continue
        results += run_results
        memory += run_memory
    return results, memory, problems


def error_summary(error: Exception) -> str:
    """The telling line of an error (for a failed command: its last line naming an Error)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    named = [line for line in lines if "Error" in line]
    return (named or lines or [repr(error)])[-1][:400]
