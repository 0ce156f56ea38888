from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import now_utc


class HealthProbe(db.Model):
    """The one row `/healthz` writes: only a committed write shows that a sign-on could be
    stored now (a rolled-back one never reaches the disk, so it cannot see a full one)."""

    __tablename__ = "health_probes"

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(default=now_utc)
