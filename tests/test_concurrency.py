"""Under a real multi-worker server: nothing acknowledged is lost, limits are shared."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import sqlalchemy as sa

from extensions import db
from models import Endorsement, SignonIntake
from tests.helpers import signons_decided, wait_until
from tests.servers import Browserless, Gunicorn

pytestmark = pytest.mark.server

SIGN_ONS = 300
THREADS = 16
SETTINGS = {
    "SECRET_KEY": "server-tests-secret",
    "OUTBOX_DELIVERY": "manual",
    "RATELIMIT_ENABLED": "false",
    "SIGNON_MIN_SECONDS": "0",
}


def _run_sign_ons(server: Gunicorn, slug: str, on_progress=None) -> dict[str, int | str]:
    """300 complete sign-ons from 16 threads; organisation name → final status or error."""
    outcomes: dict[str, int | str] = {}
    lock = threading.Lock()

    def one(n: int):
        name = f"Load Org {n}"
        try:
            status = Browserless(server.base_url).sign(slug, organisation=name, email=f"load{n}@example.org")
        except OSError as error:  # a connection cut by a killed worker: not acknowledged
            status = f"error: {error}"
        with lock:
            outcomes[name] = status
            if on_progress:
                on_progress(len(outcomes))

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, range(SIGN_ONS)))
    return outcomes


def _assert_nothing_acknowledged_is_lost(outcomes: dict, slug_statement_id: int):
    """Every acknowledged sign-on is an endorsement, or kept as sent and waiting to be decided
    (the killed worker's thread may have claimed some: another takes them when the claim runs out)."""
    statuses = list(outcomes.values())
    assert not [s for s in statuses if isinstance(s, int) and s >= 500], "server errors"
    acknowledged = {name for name, status in outcomes.items() if status == 303}
    db.session.expire_all()
    stored = db.session.scalars(
        sa.select(Endorsement.organisation).where(Endorsement.statement_id == slug_statement_id)
    ).all()
    waiting = [
        payload["organisation"]
        for payload in db.session.scalars(
            sa.select(SignonIntake.payload).where(SignonIntake.processed_at.is_(None))
        )
    ]
    assert len(stored) == len(set(stored)), "an endorsement was stored twice"
    kept = set(stored) | set(waiting)
    assert acknowledged <= kept, f"lost: {sorted(acknowledged - kept)[:5]}"
    return acknowledged, stored


def test_300_concurrent_sign_ons_all_stored_once(database_url, make_statement, tmp_path):
    statement = make_statement(slug="rush")
    with Gunicorn(database_url, SETTINGS, workers=2, log_path=tmp_path / "gunicorn.log") as server:
        outcomes = _run_sign_ons(server, "rush")
        wait_until(signons_decided, timeout=60)  # the workers' threads decide them after answering
    acknowledged, stored = _assert_nothing_acknowledged_is_lost(outcomes, statement.id)
    assert len(acknowledged) == SIGN_ONS == len(stored)


def test_killing_a_worker_mid_run_loses_nothing_acknowledged(database_url, make_statement, tmp_path):
    statement = make_statement(slug="rush")
    killed = []
    with Gunicorn(database_url, SETTINGS, workers=2, log_path=tmp_path / "gunicorn.log") as server:

        def kill_at_100(done: int):
            if done == 100 and not killed:
                killed.append(server.kill_worker())

        outcomes = _run_sign_ons(server, "rush", on_progress=kill_at_100)
    assert killed, "no worker was killed"
    acknowledged, _ = _assert_nothing_acknowledged_is_lost(outcomes, statement.id)
    assert len(acknowledged) >= SIGN_ONS - THREADS  # only requests in flight on the killed worker may fail


def test_rate_limit_is_shared_by_two_workers_through_redis(
    database_url, make_statement, redis_server, tmp_path
):
    slug = "limited"
    make_statement(slug=slug)
    settings = {
        **SETTINGS,
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_STORAGE_URI": redis_server.url,
        "SIGNON_RATE_LIMIT": "5/minute",
    }
    with Gunicorn(database_url, settings, workers=2, log_path=tmp_path / "gunicorn.log") as server:
        codes = [
            Browserless(server.base_url).sign(slug, organisation=f"Org {n}", email=f"r{n}@example.org")
            for n in range(12)
        ]
    assert codes.count(303) == 5 and codes.count(429) == 7, codes
    keys = [key.decode() for key in redis.Redis.from_url(redis_server.url).scan_iter()]
    assert any(slug in key for key in keys), keys  # the limits really were counted in Redis
    assert not [key for key in keys if "127.0.0.1" in key], "a raw client address in a rate-limit key"
