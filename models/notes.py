from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import now_utc


class ModeratorNote(db.Model):
    """A private note between moderators about one endorsement; never shown to the public."""

    __tablename__ = "moderator_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    endorsement_id: Mapped[int] = mapped_column(sa.ForeignKey("endorsements.id"), index=True)
    moderator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("moderators.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    endorsement = relationship("Endorsement", back_populates="notes")
    moderator = relationship("Moderator")


class RejectionReason(db.Model):
    """The managed list of reasons moderators pick from when rejecting (e-petitions' library)."""

    __tablename__ = "rejection_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(sa.String(300), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    @classmethod
    def select_active(cls) -> sa.Select:
        return sa.select(cls).where(cls.active).order_by(cls.text)
