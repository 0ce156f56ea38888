"""/healthz says whether sign-ons can be stored, and how Redis and the mail queue are doing;
faults in Redis degrade the service without turning any answer into an error."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from extensions import db
from models import Endorsement, OutboxMail, OutboxStatus, now_utc
from tests.helpers import make_test_app, signons_decided, wait_until
from tests.servers import Browserless, Gunicorn
from tests.smtp import free_port


@pytest.fixture
def app_config():
    """Queued mail stays queued: the health report counts it."""
    return {"OUTBOX_DELIVERY": "manual"}


def test_healthz_reports_the_database_and_the_mail_queue(client, app):
    db.session.add(OutboxMail(kind="test", recipient="a@example.org", subject="s", body="b"))
    old = OutboxMail(kind="test", recipient="b@example.org", subject="s", body="b")
    old.created_at = now_utc() - timedelta(minutes=5)
    failed = OutboxMail(kind="test", recipient="c@example.org", subject="s", body="b")
    failed.status = OutboxStatus.FAILED
    db.session.add_all([old, failed])
    db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    report = response.get_json()
    assert report["status"] == "ok" and report["database"] == {"ok": True}
    assert report["redis"] is None  # limits are kept in memory in the tests
    assert report["outbox"]["due"] == 2 and report["outbox"]["failed"] == 1
    assert 290 <= report["outbox"]["oldest_due_seconds"] <= 600


def health_of(app):
    """/healthz of an app of the test's own, whose connections are closed afterwards."""
    response = app.test_client().get("/healthz")
    with app.app_context():
        db.engine.dispose()
    return response


def test_healthz_is_503_when_the_database_cannot_be_reached():
    response = health_of(make_test_app(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/nothing"))
    assert response.status_code == 503
    assert response.get_json()["status"] == "failing"
    assert response.get_json()["database"] == {"ok": False, "error": "OperationalError"}


def test_healthz_is_503_when_the_database_takes_no_writes(database_url, tmp_path):
    """A database that answers SELECT but cannot store a sign-on (here a read-only SQLite;
    on a server: a full disk, a read-only replica) is not healthy."""
    path = tmp_path / "copy.sqlite3"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(
            sa.text("CREATE TABLE health_probes (id INTEGER PRIMARY KEY, checked_at DATETIME)")
        )
    engine.dispose()
    response = health_of(make_test_app(f"sqlite:///file:{path}?mode=ro&uri=true"))
    assert response.status_code == 503 and not response.get_json()["database"]["ok"]


def test_ping_is_the_process_alone(client):
    response = client.get("/ping")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok"


SETTINGS = {
    "SECRET_KEY": "redis-tests-secret",
    "OUTBOX_DELIVERY": "manual",
    "RATELIMIT_ENABLED": "true",
    "SIGNON_MIN_SECONDS": "0",
}


@pytest.mark.server
def test_redis_killed_sign_ons_are_answered_and_stored_once(
    database_url, make_statement, redis_server, tmp_path
):
    """With the limiter's Redis gone, 237 of 300 sign-ons answered 500 and two of those were
    stored anyway. Now limits fall back to memory with a warning, and /healthz says so."""
    statement = make_statement(slug="redis")
    settings = {**SETTINGS, "RATELIMIT_STORAGE_URI": redis_server.url}
    log_path = tmp_path / "gunicorn.log"
    with Gunicorn(database_url, settings, workers=1, log_path=log_path) as server:
        browser = Browserless(server.base_url)
        assert browser.sign("redis", organisation="Before The Fault", email="before@example.org") == 303
        redis_server.process.kill()
        redis_server.process.wait(timeout=10)
        statuses = [
            browser.sign("redis", organisation=f"During The Fault {n}", email=f"during{n}@example.org")
            for n in range(3)
        ]
        health_status, health = browser.request("/healthz")
        wait_until(signons_decided)  # the server decides each right after answering
    assert statuses == [303, 303, 303]
    db.session.expire_all()
    stored = db.session.scalars(
        sa.select(Endorsement.organisation).where(Endorsement.statement_id == statement.id)
    ).all()
    assert sorted(stored) == ["Before The Fault", *[f"During The Fault {n}" for n in range(3)]]
    assert "falling back to in-memory storage" in log_path.read_text()
    report = json.loads(health)
    assert health_status == 200 and report["status"] == "degraded" and report["redis"] == {"ok": False}


def test_healthz_leaves_redis_out_when_limits_are_off(database_url, redis_server):
    app = make_test_app(database_url, RATELIMIT_ENABLED=False, RATELIMIT_STORAGE_URI=redis_server.url)
    report = health_of(app).get_json()
    assert report["redis"] is None and report["status"] == "ok"
