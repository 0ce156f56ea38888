"""An endorser's correction of the name is a proposal: the list keeps the name as it is until a
moderator accepts the correction, and the endorser is told what was decided."""

from flask_babel import gettext as _

from domain import RuleError
from domain.audit import record
from domain.endorsements import edit_public_fields, log_decision, require
from domain.notifications import (
    notify_endorser_that_correction_is_accepted,
    notify_endorser_that_correction_is_declined,
    notify_moderators_of_correction,
)
from extensions import db
from models import CorrectionOutcome, Endorsement, NameCorrection, now_utc


def _proposal(endorsement: Endorsement, changes: dict) -> dict:
    proposed = {name: (changes.get(name) or None) for name in Endorsement.PUBLIC_FIELDS}
    proposed["organisation"] = proposed["organisation"] or endorsement.organisation
    return proposed


def request_correction(endorsement: Endorsement, changes: dict, note: str | None = None) -> NameCorrection:
    """Keep the endorser's wish for a moderator; moderators who asked are told. A newer request
    replaces one still waiting. The personal link that asks proves the address, so an
    unconfirmed endorsement is confirmed by it."""
    require(endorsement, "request_correction")
    proposed = _proposal(endorsement, changes)
    if proposed == endorsement.public_fields():
        raise RuleError(_("This is how the name is shown already; there is nothing to correct."))
    waiting = endorsement.waiting_correction
    if waiting is not None:
        waiting.status = CorrectionOutcome.REPLACED
    before = endorsement.move("request_correction")
    endorsement.confirmed_at = endorsement.confirmed_at or now_utc()
    correction = NameCorrection(endorsement=endorsement, proposed=proposed, note=note)
    db.session.add(correction)
    after = {**proposed, "status": endorsement.status}
    record(
        "correction_requested",
        endorsement=endorsement,
        before={**endorsement.public_fields(), "status": before},
        after=after,
        note=note,
    )
    log_decision("correction requested", endorsement)
    notify_moderators_of_correction(endorsement)
    return correction


def _decided(correction: NameCorrection, outcome: CorrectionOutcome, moderator) -> None:
    if not correction.is_waiting:
        raise RuleError(_("This correction was already decided."))
    correction.status = outcome
    correction.decided_at = now_utc()
    correction.decided_by_id = moderator.id if moderator else None


def accept_correction(correction: NameCorrection, moderator) -> None:
    """Show the name as the endorser asked (a published one changes in the list at once) and tell them."""
    _decided(correction, CorrectionOutcome.ACCEPTED, moderator)
    endorsement = correction.endorsement
    edit_public_fields(endorsement, moderator, correction.proposed)
    record("correction_accepted", moderator=moderator, endorsement=endorsement, after=correction.proposed)
    log_decision("correction accepted", endorsement, moderator)
    notify_endorser_that_correction_is_accepted(endorsement)


def decline_correction(correction: NameCorrection, moderator, reason: str | None = None) -> None:
    """Keep the name as it is, and tell the endorser why."""
    _decided(correction, CorrectionOutcome.DECLINED, moderator)
    correction.decline_reason = reason or None
    record(
        "correction_declined",
        moderator=moderator,
        endorsement=correction.endorsement,
        after={"proposed": correction.proposed, "reason": correction.decline_reason},
    )
    log_decision("correction declined", correction.endorsement, moderator)
    notify_endorser_that_correction_is_declined(correction.endorsement, correction)
