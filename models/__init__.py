"""The data model: statements, their endorsements, moderators and the audit trail."""

from datetime import UTC, datetime

from extensions import db


def now_utc() -> datetime:
    """A callable default, so every row gets the time it was written, not import time."""
    return datetime.now(UTC).replace(tzinfo=None)


from models.audit import ModerationEvent  # noqa: E402
from models.blocklist import BlockedEmailDomain, BlockedNetwork  # noqa: E402
from models.endorsement import Endorsement, EndorsementStatus  # noqa: E402
from models.moderator import Moderator, Role  # noqa: E402
from models.notes import ModeratorNote, RejectionReason  # noqa: E402
from models.outbox import OutboxMail, OutboxStatus  # noqa: E402
from models.statement import (  # noqa: E402
    ListOrder,
    Statement,
    StatementStamp,
    StatementStatus,
    StatementTranslation,
    StatementVersion,
)

__all__ = [
    "db",
    "BlockedEmailDomain",
    "BlockedNetwork",
    "now_utc",
    "Endorsement",
    "EndorsementStatus",
    "ModerationEvent",
    "ListOrder",
    "Moderator",
    "ModeratorNote",
    "RejectionReason",
    "OutboxMail",
    "OutboxStatus",
    "Role",
    "Statement",
    "StatementStamp",
    "StatementStatus",
    "StatementTranslation",
    "StatementVersion",
]
