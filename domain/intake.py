"""Sign-ons are kept as sent and decided after the answer.

`receive_signon` is all a sign-on POST does: one row, whatever the sign-on turns out to be,
so neither the answer nor its timing tells anyone whether the organisation had signed
already. `process_signons` then decides each row with `domain.endorsements.submit` (which
creates the endorsement or mails the contact of the one it repeats), in the mail sender's
thread or worker, and erases the row's copy of the form.
"""

import logging
from datetime import timedelta

import sqlalchemy as sa

from domain.endorsements import SUBMITTED_FIELDS, submit
from extensions import db, keyed_hash
from models import SignonIntake, Statement, now_utc
from models.endorsement import organisation_key

log = logging.getLogger("jointly.intake")

# A processor owns the rows it took for this long; one that dies leaves them to the others.
CLAIM_SECONDS = 60
BATCH = 20
# Decided rows (without contact data) are kept this long, to tell a replayed form timer.
KEEP_DECIDED = timedelta(days=2)


def submission_hash(organisation: str | None, location: str | None, email: str | None) -> str:
    """Who signed for what, as a keyed hash: the same form sent twice has the same one."""
    return keyed_hash(f"{organisation_key(organisation, location)}|{(email or '').strip().lower()}")


def receive_signon(
    statement: Statement,
    data: dict,
    *,
    suspicion: str | None,
    ip_hash: str | None,
    form_nonce: str | None,
) -> SignonIntake:
    """Keep the sign-on as sent (the caller checked that the statement takes sign-ons)."""
    payload = {name: data.get(name) for name in (*SUBMITTED_FIELDS, "language")}
    intake = SignonIntake(
        statement_id=statement.id,
        payload=payload,
        suspicion=suspicion,
        ip_hash=ip_hash,
        form_nonce=form_nonce,
        submission_hash=submission_hash(data.get("organisation"), data.get("location"), data.get("email")),
    )
    db.session.add(intake)
    return intake


def _claim() -> list[int]:
    """Take undecided rows in one write: each is decided by exactly one processor."""
    now = now_utc()
    free = sa.or_(SignonIntake.claimed_until.is_(None), SignonIntake.claimed_until < now)
    waiting = sa.select(SignonIntake.id).where(SignonIntake.processed_at.is_(None), free)
    ids = list(db.session.scalars(waiting.order_by(SignonIntake.id).limit(BATCH)))
    if not ids:
        return []
    claimed = db.session.scalars(
        sa.update(SignonIntake)
        .where(SignonIntake.id.in_(ids), SignonIntake.processed_at.is_(None), free)
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        .returning(SignonIntake.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(claimed)


def _decide(intake: SignonIntake) -> None:
    # Taken while the statement was open: a statement closed since then still gets it.
    statement = db.session.get(Statement, intake.statement_id)
    outcome = submit(statement, intake.payload, suspicion=intake.suspicion, ip_hash=intake.ip_hash)
    intake.endorsement_id = outcome.endorsement.id
    intake.payload = None
    intake.processed_at = now_utc()


def process_signons() -> int:
    """Decide every waiting sign-on, each in its own transaction; returns how many."""
    done = 0
    while ids := _claim():
        for intake_id in ids:
            intake = db.session.get(SignonIntake, intake_id)
            _decide(intake)
            db.session.commit()
            done += 1
    _forget_decided()
    return done


def _forget_decided() -> None:
    cutoff = now_utc() - KEEP_DECIDED
    db.session.execute(sa.delete(SignonIntake).where(SignonIntake.processed_at < cutoff))
    db.session.commit()


def count_waiting() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(SignonIntake.id)).where(SignonIntake.processed_at.is_(None))
    )
