"""Probes for load balancers and the benchmark's baseline."""

import sqlalchemy as sa
from flask import Blueprint

from extensions import db

bp = Blueprint("health", __name__)


@bp.get("/ping")
def ping():
    """Liveness: the process answers. Also the benchmark's baseline endpoint."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/healthz")
def healthz():
    """Readiness: 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return "database unavailable", 503, {"Content-Type": "text/plain; charset=utf-8"}
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
