from datetime import datetime
from email.utils import make_msgid
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import now_utc, status_column_type

# What a reader of a stored mail sees where a personal link's token goes when it is sent.
MASK = "…"


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMail(db.Model):
    """A mail written in the same transaction as the change that causes it, delivered after.

    Personal links (confirm, withdraw, unsubscribe) act as the endorser, so they are never
    stored: the text holds a random marker where each link's token goes, `links` maps each
    marker to the token's purpose, and the sender puts a freshly signed token in its place.
    """

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    kind: Mapped[str] = mapped_column(sa.String(40))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # Made when the mail is queued (on the sender's domain by `domain.notifications`), sent with
    # every attempt: a receiver drops a second copy.
    message_id: Mapped[str] = mapped_column(
        sa.String(255), default=lambda: make_msgid(domain="jointly.invalid")
    )
    # {marker: token purpose} for the personal links in body and headers.
    links: Mapped[dict | None] = mapped_column(sa.JSON)
    # Extra headers (Reply-To, List-Unsubscribe, ...); values may hold link markers too.
    headers: Mapped[dict | None] = mapped_column(sa.JSON)
    endorsement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("endorsements.id"), index=True)
    # The statement update this mail carries, if any: its page counts the rows' progress.
    update_id: Mapped[int | None] = mapped_column(sa.ForeignKey("statement_updates.id"), index=True)
    status: Mapped[OutboxStatus] = mapped_column(
        status_column_type(OutboxStatus), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=now_utc)
    # A sender owns a row in `sending` until this time; after it, the row is up for grabs again.
    claimed_until: Mapped[datetime | None]
    # Which sender holds the claim, so it releases only its own rows.
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None]

    endorsement = relationship("Endorsement")
    update = relationship("StatementUpdate")

    def masked(self, text: str) -> str:
        """`text` (the body or a header) with each personal link's token shown as a mask."""
        for marker in self.links or {}:
            text = text.replace(marker, MASK)
        return text

    @property
    def readable_body(self) -> str:
        return self.masked(self.body)

    @property
    def readable_headers(self) -> dict[str, str]:
        return {name: self.masked(value) for name, value in (self.headers or {}).items()}

    @classmethod
    def select_recent(cls) -> sa.Select:
        return sa.select(cls).order_by(cls.id.desc())

    @classmethod
    def count_by_status(cls, update_id: int) -> sa.Select:
        """(status, count) of the mails of one statement update."""
        query = sa.select(cls.status, sa.func.count(cls.id)).where(cls.update_id == update_id)
        return query.group_by(cls.status)

    @classmethod
    def count_failed(cls) -> sa.Select:
        return sa.select(sa.func.count(cls.id)).where(cls.status == OutboxStatus.FAILED)
