"""Where an endorsement's life is decided: submit, confirm, approve, reject, edit, withdraw
(corrections the endorser asks for: `domain.corrections`).

Every status change goes through the model's transition table (`Endorsement.move`), and
each operation queues the mail it causes (`domain.notifications`) in the caller's
transaction; the commit wakes the sender.
"""

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from domain import DuplicateEndorsement, RuleError
from domain.audit import record
from domain.duplicates import find_approved_duplicate, public_number
from domain.labels import status_name
from domain.notifications import (
    notify_endorser_of_repeat_signon,
    notify_endorser_that_endorsement_is_published,
    notify_endorser_that_endorsement_is_rejected,
    notify_endorser_that_endorsement_is_withdrawn,
    notify_endorser_to_confirm,
    notify_moderators_of_new_endorsement,
    notify_moderators_of_withdrawal,
)
from extensions import db
from models import Endorsement, EndorsementStatus, ModeratorNote, Statement, TransitionRefused, now_utc
from models.endorsement import organisation_key

log = logging.getLogger("jointly.decisions")

SUBMITTED_FIELDS = (
    "organisation",
    "organisation_km",
    "anonymous",
    "acronym",
    "location",
    "website",
    "contact_name",
    "email",
    "phone",
    "message",
    "authorised",
    "updates",
)
# What the person who asked is told when the transition table refuses their event.
REFUSALS = {
    "confirm": _l("This endorsement is %(status)s; there is nothing to confirm."),
    "approve": _l("Only a pending endorsement can be approved (this one is %(status)s)."),
    "reject": _l("This endorsement is %(status)s; it cannot be rejected."),
    "withdraw": _l("This endorsement is %(status)s; it cannot be withdrawn."),
    "request_correction": _l("This endorsement is %(status)s; it cannot be changed."),
}


class SignonClosed(RuleError):
    pass


@dataclass
class SignOn:
    """What a sign-on came to: the endorsement it made or repeated, and whether a mail is queued."""

    endorsement: Endorsement
    created: bool
    mail_queued: bool


def log_decision(action: str, endorsement: Endorsement, moderator=None) -> None:
    """A line for the operators: ids and the new status only, never a name, contact or note."""
    log.info(
        "%s: endorsement %s on statement %s is %s (moderator %s)",
        action,
        endorsement.id,
        endorsement.statement_id,
        endorsement.status,
        moderator.id if moderator else "-",
    )


def require(endorsement: Endorsement, event: str) -> None:
    """Refuse, in words for the person who asked, an event the transition table does not allow."""
    if not endorsement.can(event):
        raise RuleError(str(REFUSALS[event]) % {"status": status_name(endorsement.status)})


def _move(endorsement: Endorsement, event: str) -> EndorsementStatus:
    """Change the status through the transition table; a refusal gets words for the person."""
    try:
        return endorsement.move(event)
    except TransitionRefused as refused:
        raise RuleError(str(REFUSALS[event]) % {"status": status_name(refused.status)}) from refused


def _new_endorsement(statement: Statement, data: dict, status: EndorsementStatus, **extra) -> Endorsement:
    fields = {name: data.get(name) for name in SUBMITTED_FIELDS}
    fields = {k: (v or None) if isinstance(v, str) else v for k, v in fields.items()}
    wants_updates = bool(fields.pop("updates"))
    endorsement = Endorsement(
        statement=statement,
        status=status,
        organisation_key=organisation_key(fields["organisation"], fields["location"]),
        language=data.get("language") or "en",
        statement_version=statement.version,
        **fields,
        **extra,
    )
    endorsement.authorised = bool(data.get("authorised"))
    endorsement.anonymous = bool(data.get("anonymous"))
    endorsement.wants_updates = wants_updates
    db.session.add(endorsement)
    db.session.flush()
    return endorsement


def _standing_repeat(statement: Statement, data: dict) -> Endorsement | None:
    key = organisation_key(data.get("organisation"), data.get("location") or None)
    query = Endorsement.select_standing_repeat(statement.id, key, data.get("email") or None)
    return db.session.scalars(query.limit(1)).first()


def submit(
    statement: Statement,
    data: dict,
    *,
    suspicion: str | None = None,
    ip_hash: str | None = None,
) -> SignOn:
    """Decide a sign-on from the web form (`domain.intake`) and ask its contact to confirm.

    A repeat of a standing endorsement (same organisation, same address) adds nothing: its
    contact gets a mail instead. A suspected sign-on is kept apart for review, unmailed.
    The sign-on was taken while the statement was open; it is decided even if it closed since.
    """
    repeat = None if suspicion else _standing_repeat(statement, data)
    if repeat is not None:
        log_decision("repeated sign-on", repeat)
        return SignOn(repeat, created=False, mail_queued=bool(notify_endorser_of_repeat_signon(repeat)))
    status = EndorsementStatus.SUSPECTED if suspicion else EndorsementStatus.UNCONFIRMED
    endorsement = _new_endorsement(statement, data, status, suspicion=suspicion, ip_hash=ip_hash)
    log_decision("sign-on", endorsement)
    mail = None if suspicion else notify_endorser_to_confirm(endorsement)
    return SignOn(endorsement, created=True, mail_queued=mail is not None)


def add_received(statement: Statement, data: dict, source: str, moderator) -> Endorsement:
    """An endorsement received by phone, on paper or in a meeting: straight into the queue."""
    if not statement.accepts_signons():
        raise SignonClosed(_("Sign-on for this statement is closed."))
    repeat = _standing_repeat(statement, data)
    if repeat is not None:
        raise RuleError(
            _("“%(name)s” has already endorsed with this email address.", name=repeat.display_name)
        )
    endorsement = _new_endorsement(statement, data, EndorsementStatus.PENDING, source=source)
    record("add_received", moderator=moderator, endorsement=endorsement, after={"source": source})
    log_decision("received", endorsement, moderator)
    return endorsement


def add_imported(
    statement: Statement, data: dict, source: str, *, submitted_at=None, ask_to_confirm: bool = False
) -> SignOn:
    """A row of a coalition's own list (`domain.importing`): pending, or, when the organiser asks,
    unconfirmed with the usual confirmation mail. The caller has checked it for repeats."""
    status = EndorsementStatus.UNCONFIRMED if ask_to_confirm else EndorsementStatus.PENDING
    when = {"submitted_at": submitted_at} if submitted_at else {}
    endorsement = _new_endorsement(statement, data, status, source=source, **when)
    mail = notify_endorser_to_confirm(endorsement) if ask_to_confirm else None
    return SignOn(endorsement, created=True, mail_queued=mail is not None)


def confirm(endorsement: Endorsement) -> bool:
    """The contact proved the address works; moderators who asked are told. False if it already was."""
    if endorsement.is_confirmed:
        return False
    before = _move(endorsement, "confirm")
    endorsement.confirmed_at = now_utc()
    record(
        "confirm", endorsement=endorsement, before={"status": before}, after={"status": endorsement.status}
    )
    log_decision("confirm", endorsement)
    notify_moderators_of_new_endorsement(endorsement)
    return True


def approve(endorsement: Endorsement, moderator) -> None:
    """Publish an endorsement at the end of the list and tell its contact."""
    require(endorsement, "approve")
    duplicate = find_approved_duplicate(endorsement)
    if duplicate:
        raise DuplicateEndorsement(
            _(
                "“%(name)s” is already in the list as number %(number)d; reject this one or edit it first.",
                name=duplicate.display_name,
                number=public_number(duplicate),
            )
        )
    before = {"status": endorsement.status, "confirmed": endorsement.is_confirmed}
    endorsement.statement.bump_list_version()
    _move(endorsement, "approve")
    if endorsement.position is None:
        endorsement.position = db.session.scalar(Endorsement.next_position(endorsement.statement_id))
    _mark_decided(endorsement, moderator)
    after = {"status": endorsement.status, "position": endorsement.position}
    record("approve", moderator=moderator, endorsement=endorsement, before=before, after=after)
    log_decision("approve", endorsement, moderator)
    notify_endorser_that_endorsement_is_published(endorsement)


def reject(endorsement: Endorsement, moderator, reason: str | None = None, *, tell_endorser: bool = False):
    """Keep an endorsement off the list (an approved one is taken off); its contact is told if asked."""
    require(endorsement, "reject")
    if endorsement.is_public:
        endorsement.statement.bump_list_version()
    before = _move(endorsement, "reject")
    endorsement.rejection_reason = reason or None
    _mark_decided(endorsement, moderator)
    after = {"status": endorsement.status, "reason": endorsement.rejection_reason}
    record("reject", moderator=moderator, endorsement=endorsement, before={"status": before}, after=after)
    log_decision("reject", endorsement, moderator)
    if tell_endorser:
        notify_endorser_that_endorsement_is_rejected(endorsement)


def edit_public_fields(endorsement: Endorsement, moderator, changes: dict) -> bool:
    """Correct the display name, in either script; returns False when nothing changed."""
    before = endorsement.public_fields()
    after = {name: (changes.get(name) or None) for name in Endorsement.PUBLIC_FIELDS}
    after["organisation"] = after["organisation"] or endorsement.organisation
    if after == before:
        return False
    if endorsement.is_public:
        endorsement.statement.bump_list_version()
    for name, value in after.items():
        setattr(endorsement, name, value)
    endorsement.refresh_key()
    if endorsement.is_public and find_approved_duplicate(endorsement):
        raise DuplicateEndorsement(_("Another approved endorsement already has this name."))
    record("edit", moderator=moderator, endorsement=endorsement, before=before, after=after)
    log_decision("edit", endorsement, moderator)
    return True


def withdraw(endorsement: Endorsement, moderator=None, note: str | None = None) -> None:
    """The endorser takes their name back: it leaves the public list at once, and they and the
    moderators who asked are told."""
    require(endorsement, "withdraw")
    if endorsement.is_public:
        endorsement.statement.bump_list_version()
    before = _move(endorsement, "withdraw")
    endorsement.decided_at = now_utc()
    after = {"status": endorsement.status}
    record(
        "withdraw",
        moderator=moderator,
        endorsement=endorsement,
        before={"status": before},
        after=after,
        note=note,
    )
    log_decision("withdraw", endorsement, moderator)
    notify_endorser_that_endorsement_is_withdrawn(endorsement)
    notify_moderators_of_withdrawal(endorsement)


def _decide_each(ids: list[int], decision) -> tuple[list[Endorsement], list[str]]:
    """Apply one decision to many endorsements, each on its own (one audit event each).

    A refusal for one (already decided, a duplicate) leaves the others done.
    """
    done, refused = [], []
    for endorsement in db.session.scalars(sa.select(Endorsement).where(Endorsement.id.in_(ids))):
        try:
            with db.session.begin_nested():
                decision(endorsement)
        except (RuleError, IntegrityError) as error:
            problem = str(error) if isinstance(error, RuleError) else _("already in the list")
            refused.append(f"{endorsement.display_name}: {problem}")
        else:
            done.append(endorsement)
    return done, refused


def approve_many(ids: list[int], moderator) -> tuple[list[Endorsement], list[str]]:
    return _decide_each(ids, lambda endorsement: approve(endorsement, moderator))


def reject_many(ids: list[int], moderator, reason: str | None, *, tell_endorser: bool):
    return _decide_each(
        ids, lambda endorsement: reject(endorsement, moderator, reason, tell_endorser=tell_endorser)
    )


def add_note(endorsement: Endorsement, moderator, text: str) -> None:
    db.session.add(ModeratorNote(endorsement=endorsement, moderator_id=moderator.id, body=text))
    record("note", moderator=moderator, endorsement=endorsement)


def _mark_decided(endorsement: Endorsement, moderator) -> None:
    endorsement.decided_at = now_utc()
    endorsement.decided_by_id = moderator.id if moderator else None
