from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models import now_utc


class StatementStatus:
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    ALL = (DRAFT, OPEN, CLOSED)
    PUBLIC = (OPEN, CLOSED)


class Statement(db.Model):
    __tablename__ = "statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    kicker: Mapped[str] = mapped_column(sa.String(120), default="")
    title: Mapped[str] = mapped_column(sa.String(300))
    published_on: Mapped[date | None]
    body: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(16), default=StatementStatus.OPEN, index=True)
    signon_deadline: Mapped[datetime | None]
    # When sign-on ended (status set to closed); contact data is purged some time after.
    closed_at: Mapped[datetime | None]
    # Bumped by every change that alters the public list, so each worker can tell
    # from one small query whether its cached rendering is still current.
    list_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    endorsements = relationship("Endorsement", back_populates="statement")

    @property
    def is_public(self) -> bool:
        return self.status in StatementStatus.PUBLIC

    def accepts_signons(self, at: datetime | None = None) -> bool:
        """Open, and the deadline (if any) not yet passed."""
        if self.status != StatementStatus.OPEN:
            return False
        if self.signon_deadline is None:
            return True
        return (at or now_utc()) <= self.signon_deadline

    def touch_list(self) -> None:
        """Mark the public list as changed: cached renderings become stale."""
        self.list_version = (self.list_version or 0) + 1

    @classmethod
    def select_public(cls) -> sa.Select:
        return (
            sa.select(cls)
            .where(cls.status.in_(StatementStatus.PUBLIC))
            .order_by(cls.published_on.desc(), cls.id.desc())
        )

    @classmethod
    def select_by_slug(cls, slug: str) -> sa.Select:
        return sa.select(cls).where(cls.slug == slug)
