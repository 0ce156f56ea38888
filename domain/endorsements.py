"""Where an endorsement's life is decided: submit, approve, reject, edit, withdraw."""

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from domain import RuleError
from domain.audit import record
from domain.labels import status_name
from extensions import db
from models import Endorsement, EndorsementStatus, ModeratorNote, Statement, now_utc
from models.endorsement import organisation_key

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
)


class SignonClosed(RuleError):
    pass


class DuplicateEndorsement(RuleError):
    pass


def _touch_list(statement: Statement) -> None:
    """Bump the list version in SQL, which also serialises concurrent approvals."""
    statement.list_version = Statement.list_version + 1
    db.session.flush()


def submit(
    statement: Statement,
    data: dict,
    *,
    source: str = "web",
    suspicion: str | None = None,
    ip_hash: str | None = None,
) -> tuple[Endorsement, bool]:
    """Take a sign-on as unconfirmed; returns (endorsement, created).

    A repeat of a standing endorsement (same organisation, same address) adds nothing:
    the caller mails the contact instead of telling the page, which would reveal who signed.
    A suspected sign-on is stored apart, for review, whatever it repeats.
    """
    if not statement.accepts_signons():
        raise SignonClosed(_("Sign-on for this statement is closed."))
    fields = {name: data.get(name) for name in SUBMITTED_FIELDS}
    fields["language"] = data.get("language") or "en"
    fields = {k: (v or None) if isinstance(v, str) else v for k, v in fields.items()}
    key = organisation_key(fields["organisation"], fields["location"])
    repeat = db.session.scalars(
        Endorsement.select_active_duplicate(statement.id, key, fields["email"]).limit(1)
    ).first()
    if repeat is not None and suspicion is None:
        return repeat, False
    endorsement = Endorsement(
        statement=statement,
        status=EndorsementStatus.SUSPECTED if suspicion else EndorsementStatus.UNCONFIRMED,
        suspicion=suspicion,
        ip_hash=ip_hash,
        source=source,
        organisation_key=key,
        **fields,
    )
    endorsement.authorised = bool(data.get("authorised"))
    endorsement.anonymous = bool(data.get("anonymous"))
    endorsement.statement_version = statement.version
    db.session.add(endorsement)
    db.session.flush()
    return endorsement, True


def confirm(endorsement: Endorsement) -> bool:
    """The contact proved the address works; returns False if there was nothing to do."""
    if endorsement.confirmed_at is not None:
        return False
    endorsement.confirmed_at = now_utc()
    if endorsement.status == EndorsementStatus.UNCONFIRMED:
        endorsement.status = EndorsementStatus.PENDING
    record(
        "confirm",
        endorsement=endorsement,
        before={"status": EndorsementStatus.UNCONFIRMED},
        after={"status": endorsement.status},
    )
    return True


def request_correction(endorsement: Endorsement, changes: dict, note: str | None = None) -> None:
    """The endorser asks for a new display name (either script); it goes back to the queue for review."""
    if endorsement.status not in EndorsementStatus.ACTIVE:
        raise RuleError(
            _("This endorsement is %(status)s; it cannot be changed.", status=status_name(endorsement.status))
        )
    before = {**endorsement.public_fields(), "status": endorsement.status}
    if endorsement.is_public:
        _touch_list(endorsement.statement)
    for name in Endorsement.PUBLIC_FIELDS:
        setattr(endorsement, name, changes.get(name) or None)
    endorsement.organisation = endorsement.organisation or before["organisation"]
    endorsement.refresh_key()
    endorsement.confirmed_at = endorsement.confirmed_at or now_utc()
    endorsement.status = EndorsementStatus.PENDING
    record(
        "correction_requested",
        endorsement=endorsement,
        before=before,
        after={**endorsement.public_fields(), "status": endorsement.status},
        note=note,
    )


def find_approved_duplicate(endorsement: Endorsement) -> Endorsement | None:
    """Named or not: the database refuses two approved endorsements of one organisation."""
    query = sa.select(Endorsement).where(
        Endorsement.statement_id == endorsement.statement_id,
        Endorsement.status == EndorsementStatus.APPROVED,
        Endorsement.organisation_key == endorsement.organisation_key,
        Endorsement.id != endorsement.id,
    )
    return db.session.scalars(query.limit(1)).first()


def possible_duplicates(endorsements: list[Endorsement]) -> dict[int, list[Endorsement]]:
    """For each endorsement, others on its statement with the same folded name or acronym.

    One query for a whole page of the queue.
    """
    if not endorsements:
        return {}
    keys = {e.organisation_key for e in endorsements}
    # Plain IN over the usual spellings, so the (statement_id, acronym) index answers it;
    # the exact case-insensitive comparison follows below.
    acronyms = {
        form for e in endorsements if e.acronym for form in (e.acronym, e.acronym.upper(), e.acronym.lower())
    }
    # Two index look-ups joined by UNION: with OR, SQLite scans every row of the statement.
    # The status is checked here, not in SQL, where it would lure SQLite onto the status index.
    statements = {e.statement_id for e in endorsements}
    same_key = sa.select(Endorsement.id).where(
        Endorsement.statement_id.in_(statements), Endorsement.organisation_key.in_(keys)
    )
    same_acronym = sa.select(Endorsement.id).where(
        Endorsement.statement_id.in_(statements), Endorsement.acronym.in_(acronyms)
    )
    found = db.session.scalars(
        sa.select(Endorsement).where(Endorsement.id.in_(sa.union(same_key, same_acronym)))
    )
    listed = (*EndorsementStatus.ACTIVE, EndorsementStatus.SUSPECTED)
    candidates = [other for other in found if other.status in listed]
    return {
        e.id: [
            other
            for other in candidates
            if other.id != e.id
            and other.statement_id == e.statement_id
            and (
                other.organisation_key == e.organisation_key
                or (e.acronym and other.acronym and other.acronym.casefold() == e.acronym.casefold())
            )
        ]
        for e in endorsements
    }


def approve(endorsement: Endorsement, moderator) -> None:
    """Publish a pending endorsement at the end of the list."""
    if endorsement.status not in EndorsementStatus.DECIDABLE:
        raise RuleError(
            _(
                "Only a pending endorsement can be approved (this one is %(status)s).",
                status=status_name(endorsement.status),
            )
        )
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
    _touch_list(endorsement.statement)
    if endorsement.position is None:
        endorsement.position = db.session.scalar(Endorsement.next_position(endorsement.statement_id))
    endorsement.status = EndorsementStatus.APPROVED
    _mark_decided(endorsement, moderator)
    record(
        "approve",
        moderator=moderator,
        endorsement=endorsement,
        before=before,
        after={"status": endorsement.status, "position": endorsement.position},
    )


def reject(endorsement: Endorsement, moderator, reason: str | None = None) -> None:
    """Keep an endorsement off the list; an approved one is taken off."""
    if endorsement.status not in (*EndorsementStatus.DECIDABLE, EndorsementStatus.APPROVED):
        status = status_name(endorsement.status)
        raise RuleError(_("This endorsement is %(status)s; it cannot be rejected.", status=status))
    before = {"status": endorsement.status}
    if endorsement.is_public:
        _touch_list(endorsement.statement)
    endorsement.status = EndorsementStatus.REJECTED
    endorsement.rejection_reason = reason or None
    _mark_decided(endorsement, moderator)
    record(
        "reject",
        moderator=moderator,
        endorsement=endorsement,
        before=before,
        after={"status": endorsement.status, "reason": endorsement.rejection_reason},
    )


def edit_public_fields(endorsement: Endorsement, moderator, changes: dict) -> bool:
    """Correct the display name, in either script; returns False when nothing changed."""
    before = endorsement.public_fields()
    after = {name: (changes.get(name) or None) for name in Endorsement.PUBLIC_FIELDS}
    after["organisation"] = after["organisation"] or endorsement.organisation
    if after == before:
        return False
    if endorsement.is_public:
        _touch_list(endorsement.statement)
    for name, value in after.items():
        setattr(endorsement, name, value)
    endorsement.refresh_key()
    if endorsement.is_public and find_approved_duplicate(endorsement):
        raise DuplicateEndorsement(_("Another approved endorsement already has this name."))
    record("edit", moderator=moderator, endorsement=endorsement, before=before, after=after)
    return True


def withdraw(endorsement: Endorsement, moderator=None, note: str | None = None) -> None:
    """The endorser takes their name back; it leaves the public list at once."""
    if endorsement.status not in EndorsementStatus.ACTIVE:
        status = status_name(endorsement.status)
        raise RuleError(_("This endorsement is %(status)s; it cannot be withdrawn.", status=status))
    before = {"status": endorsement.status}
    if endorsement.is_public:
        _touch_list(endorsement.statement)
    endorsement.status = EndorsementStatus.WITHDRAWN
    endorsement.decided_at = now_utc()
    record(
        "withdraw",
        moderator=moderator,
        endorsement=endorsement,
        before=before,
        after={"status": endorsement.status},
        note=note,
    )


def decide_many(ids: list[int], moderator, decision) -> tuple[list[Endorsement], list[str]]:
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


def add_received(statement: Statement, data: dict, source: str, moderator) -> Endorsement:
    """An endorsement received by phone, on paper or in a meeting: straight into the queue."""
    endorsement, created = submit(statement, data, source=source)
    if not created:
        raise RuleError(
            _("“%(name)s” has already endorsed with this email address.", name=endorsement.display_name)
        )
    endorsement.status = EndorsementStatus.PENDING
    record("add_received", moderator=moderator, endorsement=endorsement, after={"source": source})
    return endorsement


def add_note(endorsement: Endorsement, moderator, text: str) -> None:
    db.session.add(ModeratorNote(endorsement=endorsement, moderator_id=moderator.id, body=text))
    record("note", moderator=moderator, endorsement=endorsement)


def public_number(endorsement: Endorsement) -> int:
    """The number the endorsement carries in the public list (its rank by position)."""
    return db.session.scalar(
        Endorsement.count_public(endorsement.statement_id).where(Endorsement.position <= endorsement.position)
    )


def commit_decision() -> None:
    """Commit, turning the database's duplicate guard into a message for the moderator."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise DuplicateEndorsement(
            _("The list changed meanwhile, or this organisation is already in it; reload and try again.")
        ) from error


def _mark_decided(endorsement: Endorsement, moderator) -> None:
    endorsement.decided_at = now_utc()
    endorsement.decided_by_id = moderator.id if moderator else None


__all__ = [
    "approve",
    "commit_decision",
    "confirm",
    "request_correction",
    "edit_public_fields",
    "organisation_key",
    "reject",
    "submit",
    "withdraw",
]
