"""Telling moderators when an organisation may already be on the statement."""

import sqlalchemy as sa

from extensions import db
from models import STANDING_STATUSES, Endorsement, EndorsementStatus


def find_approved_duplicate(endorsement: Endorsement) -> Endorsement | None:
    """Named or not: the database refuses two approved endorsements of one organisation."""
    query = sa.select(Endorsement).where(
        Endorsement.statement_id == endorsement.statement_id,
        Endorsement.status == EndorsementStatus.APPROVED,
        Endorsement.organisation_key == endorsement.organisation_key,
        Endorsement.id != endorsement.id,
    )
    return db.session.scalars(query.limit(1)).first()


def _candidates(endorsements: list[Endorsement]) -> list[Endorsement]:
    """Standing or suspected endorsements on the same statements with one of these keys or acronyms."""
    keys = {e.organisation_key for e in endorsements}
    # Plain IN over the usual spellings, so the (statement_id, acronym) index answers it;
    # the exact case-insensitive comparison is made by the caller.
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
    listed = STANDING_STATUSES | {EndorsementStatus.SUSPECTED}
    return [other for other in found if other.status in listed]


def _same_organisation(one: Endorsement, other: Endorsement) -> bool:
    if other.id == one.id or other.statement_id != one.statement_id:
        return False
    if other.organisation_key == one.organisation_key:
        return True
    return bool(one.acronym and other.acronym and other.acronym.casefold() == one.acronym.casefold())


def possible_duplicates(endorsements: list[Endorsement]) -> dict[int, list[Endorsement]]:
    """For each endorsement, others on its statement with the same folded name or acronym.

    One query for a whole page of the queue.
    """
    if not endorsements:
        return {}
    candidates = _candidates(endorsements)
    return {e.id: [other for other in candidates if _same_organisation(e, other)] for e in endorsements}


def public_number(endorsement: Endorsement) -> int:
    """The number the endorsement carries in the public list (its rank by position)."""
    return db.session.scalar(
        Endorsement.count_public(endorsement.statement_id).where(Endorsement.position <= endorsement.position)
    )
