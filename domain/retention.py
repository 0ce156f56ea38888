"""Contact data is kept only while it is needed: after a statement closes, it is erased."""

from datetime import timedelta

import sqlalchemy as sa

from domain.audit import record
from extensions import db
from models import Endorsement, OutboxMail, Statement, StatementStatus, now_utc

CONTACT_FIELDS = ("contact_name", "email", "phone", "message", "ip_hash")


def statements_past_retention(days: int) -> sa.Select:
    """Closed (by status or by deadline) more than `days` days ago."""
    cutoff = now_utc() - timedelta(days=days)
    closed_by_status = sa.and_(Statement.status == StatementStatus.CLOSED, Statement.closed_at <= cutoff)
    closed_by_deadline = Statement.signon_deadline <= cutoff
    return sa.select(Statement.id).where(sa.or_(closed_by_status, closed_by_deadline))


def purge_contact_data(days: int) -> int:
    """Blank the contact fields, keep the public ones; their mails go too. Returns how many."""
    statement_ids = sa.select(statements_past_retention(days).subquery().c.id)
    has_contact = sa.or_(*(getattr(Endorsement, name).is_not(None) for name in CONTACT_FIELDS))
    targets = sa.select(Endorsement.id).where(Endorsement.statement_id.in_(statement_ids), has_contact)
    ids = list(db.session.scalars(targets))
    if not ids:
        return 0
    db.session.execute(sa.delete(OutboxMail).where(OutboxMail.endorsement_id.in_(ids)))
    db.session.execute(
        sa.update(Endorsement).where(Endorsement.id.in_(ids)).values(dict.fromkeys(CONTACT_FIELDS))
    )
    record("retention_purge", after={"endorsements": len(ids), "days": days})
    return len(ids)
