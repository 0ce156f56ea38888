from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import now_utc


class StatementUpdate(db.Model):
    """News about a statement that admins mail to the endorsers who asked for it; sent once.

    `texts` holds the subject and Markdown body in each language it was written in
    ({"en": {"subject": ..., "body": ...}, "km": {...}}); the statement's own language is
    always there, and a reader whose language is missing gets that one.
    """

    __tablename__ = "statement_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("statements.id"), index=True)
    texts: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("moderators.id"))
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)
    # Set once, by the one send that may happen (`domain.updates.send_update`).
    sent_at: Mapped[datetime | None]
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("moderators.id"))
    # How many endorsers it was queued for when it was sent.
    recipients: Mapped[int | None]

    statement = relationship("Statement")
    created_by = relationship("Moderator", foreign_keys=[created_by_id])
    sent_by = relationship("Moderator", foreign_keys=[sent_by_id])

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None

    def text_in(self, language: str) -> dict:
        """Subject and body in `language`, else in the statement's own language."""
        return self.texts.get(language) or self.texts[self.statement.language or "en"]

    @property
    def subject(self) -> str:
        """The subject in the statement's own language, for lists."""
        return self.text_in(self.statement.language or "en")["subject"]

    @classmethod
    def select_recent(cls) -> sa.Select:
        return sa.select(cls).order_by(cls.id.desc())
