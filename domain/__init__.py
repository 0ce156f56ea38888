"""Domain rules, called by views and CLI alike.

Each operation checks its rule, changes the session, records its audit event and queues the
mail it causes; none of them commits. The caller commits once, with
`commit_or_refuse_duplicate()` where two approvals may race for one organisation.
"""

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from extensions import db


class RuleError(Exception):
    """A refused action, with a message fit to show the person who asked for it."""


class DuplicateEndorsement(RuleError):
    pass


def commit_or_refuse_duplicate() -> None:
    """Commit; the database's guard against two approved endorsements of one organisation
    (a partial unique index) becomes a message for the moderator instead of a 500."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise DuplicateEndorsement(
            _("The list changed meanwhile, or this organisation is already in it; reload and try again.")
        ) from error
