"""The data model: statements, their endorsements, moderators and the audit trail."""

from extensions import db
from models.audit import ModerationEvent
from models.base import now_utc
from models.blocklist import BlockedEmailDomain, BlockedNetwork
from models.correction import CorrectionOutcome, NameCorrection
from models.endorsement import (
    DECIDABLE_STATUSES,
    PUBLIC_STATUSES,
    QUEUE_STATUSES,
    STANDING_STATUSES,
    UPDATE_STATUSES,
    Endorsement,
    EndorsementStatus,
    TransitionRefused,
)
from models.health import HealthProbe
from models.intake import SignonIntake
from models.moderator import Moderator, Role
from models.notes import ModeratorNote, RejectionReason
from models.outbox import OutboxMail, OutboxStatus
from models.statement import (
    ListOrder,
    Statement,
    StatementStamp,
    StatementStatus,
    StatementTranslation,
    StatementVersion,
)
from models.update import StatementUpdate

__all__ = [
    "db",
    "BlockedEmailDomain",
    "BlockedNetwork",
    "CorrectionOutcome",
    "NameCorrection",
    "DECIDABLE_STATUSES",
    "now_utc",
    "Endorsement",
    "EndorsementStatus",
    "HealthProbe",
    "ModerationEvent",
    "ListOrder",
    "Moderator",
    "ModeratorNote",
    "PUBLIC_STATUSES",
    "QUEUE_STATUSES",
    "RejectionReason",
    "OutboxMail",
    "OutboxStatus",
    "Role",
    "SignonIntake",
    "STANDING_STATUSES",
    "Statement",
    "StatementStamp",
    "StatementStatus",
    "StatementTranslation",
    "StatementUpdate",
    "StatementVersion",
    "TransitionRefused",
    "UPDATE_STATUSES",
]
