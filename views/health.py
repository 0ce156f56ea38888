"""Probes for load balancers and operators, and the benchmark's baseline."""

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from extensions import db, limiter
from models import HealthProbe, OutboxMail, OutboxStatus, now_utc

bp = Blueprint("health", __name__)
log = logging.getLogger("jointly.health")


@bp.get("/ping")
def ping():
    """Liveness: the process answers. Also the benchmark's baseline endpoint."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


def database_write() -> dict:
    """Write and commit the probe row: what a sign-on needs (a full disk, a read-only or
    unreachable database all fail here, where a SELECT would still pass)."""
    try:
        written = db.session.execute(
            sa.update(HealthProbe).where(HealthProbe.id == 1).values(checked_at=now_utc())
        ).rowcount
        if not written:  # a fresh or emptied database
            db.session.add(HealthProbe(id=1))
        db.session.commit()
    except sa.exc.IntegrityError:  # another probe inserted the row first: that was a write too
        db.session.rollback()
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        log.error("health: the database refused a write: %s", type(error).__name__)
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def redis_state() -> dict | None:
    """The limiter's shared store; None when limits are off or kept in memory. While it is down the
    limiter counts in memory (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED): degraded, not failing."""
    config = current_app.config
    if not config["RATELIMIT_ENABLED"] or config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        return None
    return {"ok": bool(limiter.storage.check())}


def outbox_backlog() -> dict:
    """Mail due now (and how long the oldest has waited) and mail given up on."""
    now = now_utc()
    due = sa.and_(OutboxMail.status == OutboxStatus.QUEUED, OutboxMail.next_attempt_at <= now)
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(due),
            sa.func.min(OutboxMail.created_at).filter(due),
            sa.func.count().filter(OutboxMail.status == OutboxStatus.FAILED),
        )
    ).one()
    oldest = round((now - row[1]).total_seconds()) if row[1] else 0
    return {"due": row[0], "oldest_due_seconds": oldest, "failed": row[2]}


@bp.get("/healthz")
def healthz():
    """Readiness as JSON: 503 only when sign-ons cannot be stored; Redis down is degraded."""
    database = database_write()
    report = {"database": database, "redis": redis_state(), "outbox": None}
    if database["ok"]:
        report["outbox"] = outbox_backlog()
        degraded = report["redis"] is not None and not report["redis"]["ok"]
        report["status"] = "degraded" if degraded else "ok"
    else:
        report["status"] = "failing"
    response = jsonify(report)
    response.status_code = 200 if database["ok"] else 503
    response.headers["Cache-Control"] = "no-store"
    return response
