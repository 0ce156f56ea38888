from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import now_utc, status_column_type


class CorrectionOutcome(StrEnum):
    WAITING = "waiting"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    # The endorser asked again before anyone decided: the newer request replaces this one.
    REPLACED = "replaced"


class NameCorrection(db.Model):
    """An endorser's request to show their organisation's name differently.

    A proposal: the list keeps the name as it is until a moderator accepts it.
    """

    __tablename__ = "name_corrections"
    __table_args__ = (sa.Index("ix_name_corrections_outcome_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endorsement_id: Mapped[int] = mapped_column(sa.ForeignKey("endorsements.id"), index=True)
    # The public fields as the endorser wants them (organisation, organisation_km, acronym, location).
    proposed: Mapped[dict] = mapped_column(sa.JSON)
    note: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[CorrectionOutcome] = mapped_column(
        status_column_type(CorrectionOutcome), default=CorrectionOutcome.WAITING
    )
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("moderators.id"))
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)

    endorsement = relationship("Endorsement", back_populates="corrections")
    decided_by = relationship("Moderator")

    @property
    def is_waiting(self) -> bool:
        return self.status == CorrectionOutcome.WAITING

    @classmethod
    def select_waiting(cls) -> sa.Select:
        """Corrections no moderator has decided yet, oldest first."""
        return sa.select(cls).where(cls.status == CorrectionOutcome.WAITING).order_by(cls.created_at, cls.id)

    @classmethod
    def count_waiting(cls) -> sa.Select:
        return sa.select(sa.func.count(cls.id)).where(cls.status == CorrectionOutcome.WAITING)
