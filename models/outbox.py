from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import now_utc, status_column_type


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMail(db.Model):
    """A mail written in the same transaction as the change that causes it, delivered after."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    kind: Mapped[str] = mapped_column(sa.String(40))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    endorsement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("endorsements.id"), index=True)
    status: Mapped[OutboxStatus] = mapped_column(
        status_column_type(OutboxStatus), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=now_utc)
    # A sender owns a row in `sending` until this time; after it, the row is up for grabs again.
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None]

    endorsement = relationship("Endorsement")

    @classmethod
    def select_recent(cls) -> sa.Select:
        return sa.select(cls).order_by(cls.id.desc())

    @classmethod
    def count_failed(cls) -> sa.Select:
        return sa.select(sa.func.count(cls.id)).where(cls.status == OutboxStatus.FAILED)
