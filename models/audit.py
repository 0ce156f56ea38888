from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from extensions import db
from models.base import now_utc


class ModerationEvent(db.Model):
    """Append-only record of every decision and edit: who, what, when, before and after."""

    __tablename__ = "moderation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc, index=True)
    action: Mapped[str] = mapped_column(sa.String(40))
    moderator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("moderators.id"))
    endorsement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("endorsements.id"), index=True)
    statement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("statements.id"))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    note: Mapped[str | None] = mapped_column(sa.Text)

    moderator = relationship("Moderator")
    endorsement = relationship("Endorsement", back_populates="events")


@event.listens_for(Session, "before_flush")
def _refuse_audit_rewrites(session, _context, _instances):
    """The audit trail is only ever appended to."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, ModerationEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise ValueError("moderation events are append-only")
