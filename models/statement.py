from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from extensions import db
from models.base import now_utc, status_column_type


class StatementStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


PUBLIC_STATEMENT_STATUSES = frozenset({StatementStatus.OPEN, StatementStatus.CLOSED})


class ListOrder(StrEnum):
    PUBLISHED = "published"  # the order of approval, as printed lists grow
    ALPHABETICAL = "alphabetical"


class Statement(db.Model):
    __tablename__ = "statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    kicker: Mapped[str] = mapped_column(sa.String(120), default="")
    title: Mapped[str] = mapped_column(sa.String(300))
    published_on: Mapped[date | None]
    body: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[StatementStatus] = mapped_column(
        status_column_type(StatementStatus), default=StatementStatus.OPEN, index=True
    )
    signon_deadline: Mapped[datetime | None]
    # When sign-on ended (status set to closed); contact data is purged some time after.
    closed_at: Mapped[datetime | None]
    list_order: Mapped[str] = mapped_column(
        sa.String(16), default=ListOrder.PUBLISHED, server_default="published"
    )
    # The language of kicker, title and body above; other languages live in StatementTranslation.
    language: Mapped[str] = mapped_column(sa.String(8), default="en", server_default="en")
    # The text version endorsers sign now; each edit after the first endorsement adds one.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Bumped by every change that alters the public list, so each worker can tell
    # from one small query whether its cached rendering is still current.
    list_version: Mapped[int] = mapped_column(default=0)
    # Who publishes the statement and how to reach them; empty means ORGANISER_NAME / ORGANISER_EMAIL.
    publisher: Mapped[str | None] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    endorsements = relationship("Endorsement", back_populates="statement")
    translations = relationship(
        "StatementTranslation", back_populates="statement", order_by="StatementTranslation.language"
    )
    versions = relationship(
        "StatementVersion", back_populates="statement", order_by="StatementVersion.number"
    )

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATEMENT_STATUSES

    def accepts_signons(self, at: datetime | None = None) -> bool:
        return _accepts_signons(self.status, self.signon_deadline, at)

    def stamp(self) -> "StatementStamp":
        return StatementStamp(**{name: getattr(self, name) for name in StatementStamp.__dataclass_fields__})

    def bump_list_version(self) -> None:
        """Mark the public page as changed, so every worker's cached rendering goes stale.

        Called wherever the list, its order or the page's text can change. The increment is
        an SQL expression flushed at once: it takes the statement's row lock, which makes
        concurrent approvals wait for each other and so number the list without gaps.
        """
        self.list_version = Statement.list_version + 1
        object_session(self).flush()

    @classmethod
    def select_public(cls) -> sa.Select:
        return (
            sa.select(cls)
            .where(cls.status.in_(PUBLIC_STATEMENT_STATUSES))
            .order_by(cls.published_on.desc(), cls.id.desc())
        )

    @classmethod
    def select_by_slug(cls, slug: str) -> sa.Select:
        return sa.select(cls).where(cls.slug == slug)


def _accepts_signons(status: str, deadline: datetime | None, at: datetime | None) -> bool:
    """Open, and the deadline (if any) not yet passed."""
    if status != StatementStatus.OPEN:
        return False
    return deadline is None or (at or now_utc()) <= deadline


@dataclass(frozen=True)
class StatementStamp:
    """The few columns that say whether a reader's copy of the statement page is current.

    Every page view reads them, most often to answer 304 or to send bytes rendered earlier,
    so they are read with SQLAlchemy Core on a pooled connection: about a fifth of the cost
    of loading the ORM object in the request's session. The whole statement is loaded only
    when a page has to be rendered.
    """

    id: int
    status: str
    signon_deadline: datetime | None
    list_version: int
    created_at: datetime
    updated_at: datetime

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATEMENT_STATUSES

    def accepts_signons(self, at: datetime | None = None) -> bool:
        return _accepts_signons(self.status, self.signon_deadline, at)

    @classmethod
    def of_slug(cls, slug: str) -> "StatementStamp | None":
        with db.engine.connect() as connection:
            row = connection.execute(_STAMP_BY_SLUG, {"slug": slug}).one_or_none()
        return None if row is None else cls(**row._mapping)


_STAMP_BY_SLUG = sa.select(
    *(Statement.__table__.c[name] for name in StatementStamp.__dataclass_fields__)
).where(Statement.__table__.c.slug == sa.bindparam("slug"))


class StatementTranslation(db.Model):
    """The statement's text in another language; the endorser list is shared by all of them."""

    __tablename__ = "statement_translations"
    __table_args__ = (sa.UniqueConstraint("statement_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("statements.id"))
    language: Mapped[str] = mapped_column(sa.String(8))
    kicker: Mapped[str] = mapped_column(sa.String(120), default="")
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    statement = relationship("Statement", back_populates="translations")


class StatementVersion(db.Model):
    """The text as it stood before an edit, so every endorsement can be read against what it signed."""

    __tablename__ = "statement_versions"
    __table_args__ = (sa.UniqueConstraint("statement_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("statements.id"))
    number: Mapped[int]
    kicker: Mapped[str] = mapped_column(sa.String(120), default="")
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("moderators.id"))

    statement = relationship("Statement", back_populates="versions")
