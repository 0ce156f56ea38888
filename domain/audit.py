from extensions import db
from models import ModerationEvent


def record(
    action, *, moderator=None, endorsement=None, statement=None, before=None, after=None, note=None
) -> ModerationEvent:
    """Append one audit event to the current transaction."""
    event = ModerationEvent(
        action=action,
        moderator_id=moderator.id if moderator else None,
        endorsement=endorsement,
        statement_id=(statement.id if statement else None)
        or (endorsement.statement_id if endorsement else None),
        before=before,
        after=after,
        note=note,
    )
    db.session.add(event)
    return event
