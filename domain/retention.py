"""Contact data is kept only while it is needed: after a statement closes, it is erased.

`purge_contact_data` erases it everywhere it can have entered: the endorsement's contact
fields, the mails sent about it, the sign-ons as sent, moderators' notes and rejection
reasons, the endorser's notes on corrections, the notes and free-text values of the audit
events, and the rate-limit counters of the statement. What remains is listed in the README.
"""

from datetime import timedelta

import sqlalchemy as sa

from domain.audit import record
from extensions import db, limiter
from models import (
    Endorsement,
    ModerationEvent,
    ModeratorNote,
    NameCorrection,
    OutboxMail,
    SignonIntake,
    Statement,
    StatementStatus,
    now_utc,
)

CONTACT_FIELDS = ("contact_name", "email", "phone", "message", "ip_hash")
# Free text moderators or endorsers write about an endorsement: it may name or quote the contact.
FREE_TEXT_FIELDS = ("rejection_reason",)
# Keys of audit values that hold free text rather than the public name or a status.
FREE_TEXT_KEYS = {"reason", "note", "message", "contact_name", "email", "phone", "ip_hash"}


def statements_past_retention(days: int) -> sa.Select:
    """Closed (by status or by deadline) more than `days` days ago."""
    cutoff = now_utc() - timedelta(days=days)
    closed_by_status = sa.and_(Statement.status == StatementStatus.CLOSED, Statement.closed_at <= cutoff)
    closed_by_deadline = Statement.signon_deadline <= cutoff
    return sa.select(Statement.id).where(sa.or_(closed_by_status, closed_by_deadline))


def purge_contact_data(days: int) -> int:
    """Erase contact data of the statements closed more than `days` days ago, keep the public
    list intact. Returns how many endorsements had contact data left."""
    statement_ids = list(db.session.scalars(statements_past_retention(days)))
    if not statement_ids:
        return 0
    ids = list(
        db.session.scalars(sa.select(Endorsement.id).where(Endorsement.statement_id.in_(statement_ids)))
    )
    with_contact = _with_contact_data(ids)
    _erase_endorsement_text(ids)
    _erase_events(ids, statement_ids)
    db.session.execute(sa.delete(OutboxMail).where(OutboxMail.endorsement_id.in_(ids)))
    db.session.execute(sa.delete(ModeratorNote).where(ModeratorNote.endorsement_id.in_(ids)))
    db.session.execute(sa.delete(SignonIntake).where(SignonIntake.statement_id.in_(statement_ids)))
    _forget_rate_limits(statement_ids)
    if with_contact:
        record("retention_purge", after={"endorsements": with_contact, "days": days})
    return with_contact


def _with_contact_data(ids: list[int]) -> int:
    has_contact = sa.or_(*(getattr(Endorsement, name).is_not(None) for name in CONTACT_FIELDS))
    return db.session.scalar(
        sa.select(sa.func.count(Endorsement.id)).where(Endorsement.id.in_(ids), has_contact)
    )


def _erase_endorsement_text(ids: list[int]) -> None:
    erased = dict.fromkeys((*CONTACT_FIELDS, *FREE_TEXT_FIELDS))
    db.session.execute(
        sa.update(Endorsement)
        .where(Endorsement.id.in_(ids))
        .values(erased)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(NameCorrection)
        .where(NameCorrection.endorsement_id.in_(ids))
        .values(note=None, decline_reason=None)
        .execution_options(synchronize_session=False)
    )


def _erase_events(ids: list[int], statement_ids: list[int]) -> None:
    """The one change the audit trail allows: its free text goes with the contact data. Done in SQL:
    the ORM refuses to rewrite an event."""
    about_them = sa.or_(
        ModerationEvent.endorsement_id.in_(ids), ModerationEvent.statement_id.in_(statement_ids)
    )
    rows = db.session.execute(
        sa.select(ModerationEvent.id, ModerationEvent.before, ModerationEvent.after).where(about_them)
    ).all()
    for event_id, before, after in rows:
        db.session.execute(
            sa.update(ModerationEvent)
            .where(ModerationEvent.id == event_id)
            .values(note=None, before=_without_free_text(before), after=_without_free_text(after))
            .execution_options(synchronize_session=False)
        )


def _without_free_text(values: dict | None) -> dict | None:
    if not isinstance(values, dict):
        return values
    return {key: (None if key in FREE_TEXT_KEYS else value) for key, value in values.items()}


def _forget_rate_limits(statement_ids: list[int]) -> None:
    """The sign-on counters keep a keyed hash of each address per statement for a day; a purged
    statement's go at once."""
    slugs = list(db.session.scalars(sa.select(Statement.slug).where(Statement.id.in_(statement_ids))))
    storage = limiter.storage if limiter.enabled else None
    if storage is None or not slugs:
        return
    for key in _limiter_keys(storage):
        if any(key.endswith(f":{slug}") or f":{slug}/" in key for slug in slugs) and "sign" in key:
            storage.clear(key)


def _limiter_keys(storage) -> list[str]:
    """Every counter's key, from the two stores Jointly uses (memory, Redis)."""
    backend = getattr(storage, "storage", None)
    if hasattr(backend, "scan_iter"):  # redis
        prefix = getattr(storage, "PREFIX", "LIMITS")
        return [key.decode().removeprefix(f"{prefix}:") for key in backend.scan_iter(match="*sign*")]
    windows = getattr(storage, "events", {})  # memory: fixed windows and moving windows
    return [str(key) for key in [*list(backend or ()), *list(windows)]]
