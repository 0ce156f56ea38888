import unicodedata
from datetime import datetime
from enum import StrEnum

import icu
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import now_utc, status_column_type


class EndorsementStatus(StrEnum):
    UNCONFIRMED = "unconfirmed"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    # Caught by the honeypot, the timer or a block list: kept for review, never public.
    SUSPECTED = "suspected"


_S = EndorsementStatus
PUBLIC_STATUSES = frozenset({_S.APPROVED})
# A moderator may decide before the contact confirms; the entry is marked as such.
DECIDABLE_STATUSES = frozenset({_S.PENDING, _S.UNCONFIRMED, _S.SUSPECTED})
# Still standing: a repeat sign-on is a repeat of one of these, and its contact may withdraw it.
STANDING_STATUSES = frozenset({_S.UNCONFIRMED, _S.PENDING, _S.APPROVED})
# Who may get a statement's news (with a confirmed address, having asked for it): never the
# unconfirmed, suspected, rejected or withdrawn.
UPDATE_STATUSES = frozenset({_S.PENDING, _S.APPROVED})
# The moderation queue's tabs, the confirmed entries first.
QUEUE_STATUSES = (_S.PENDING, _S.UNCONFIRMED, _S.SUSPECTED)

# Every status change an endorsement can make, by the event that makes it (e-petitions' STATES).
# An event not allowed from the current status is refused; a status mapped to itself is an
# event that records something (a confirmed address) without moving the endorsement.
TRANSITIONS: dict[str, dict[EndorsementStatus, EndorsementStatus]] = {
    "confirm": {
        _S.UNCONFIRMED: _S.PENDING,
        _S.PENDING: _S.PENDING,
        _S.SUSPECTED: _S.SUSPECTED,
        _S.APPROVED: _S.APPROVED,
    },
    "approve": {_S.PENDING: _S.APPROVED, _S.UNCONFIRMED: _S.APPROVED, _S.SUSPECTED: _S.APPROVED},
    "reject": {
        _S.PENDING: _S.REJECTED,
        _S.UNCONFIRMED: _S.REJECTED,
        _S.SUSPECTED: _S.REJECTED,
        _S.APPROVED: _S.REJECTED,
    },
    "withdraw": {_S.UNCONFIRMED: _S.WITHDRAWN, _S.PENDING: _S.WITHDRAWN, _S.APPROVED: _S.WITHDRAWN},
    # The link that asks proves the address: an unconfirmed endorsement is confirmed by it.
    "request_correction": {_S.UNCONFIRMED: _S.PENDING, _S.PENDING: _S.PENDING, _S.APPROVED: _S.APPROVED},
}


class TransitionRefused(ValueError):
    """The transition table has no move for this event from this status."""

    def __init__(self, event: str, status: EndorsementStatus):
        super().__init__(f"{event} is not allowed for a {status} endorsement")
        self.event = event
        self.status = status


# UTS #39's skeleton, by ICU (the Unicode Consortium's own implementation): one form for
# every string that looks the same, Cyrillic 'С' and Latin 'C' alike. Safe to share: a
# checker is only read once built.
SPOOF_CHECKER = icu.SpoofChecker()


def fold_for_key(text: str | None) -> str:
    """One text as its look-alikes all fold: NFKC, without the invisible format characters
    (zero-width space and joiners, soft hyphen: Khmer keeps U+200B/U+200C in the stored name,
    never in the key), case folded, through the confusables skeleton, with punctuation and
    spacing reduced to single spaces. Letters, marks and numbers are what is left, so Khmer
    names that differ only in a vowel sign keep apart."""
    text = unicodedata.normalize("NFKC", text or "")
    # Cs too: a lone surrogate (refused by the forms) would stop ICU.
    text = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cf", "Cs"}).casefold()
    # Case again after the skeleton: some of its prototypes are capitals ('0' becomes 'O').
    text = SPOOF_CHECKER.getSkeleton(0, text).casefold()
    text = "".join(ch if unicodedata.category(ch)[0] in "LMN" else " " for ch in text)
    return " ".join(text.split())


def organisation_key(organisation: str | None, location: str | None = None) -> str:
    """The duplicate key: two names that look alike on screen get the same one.

    The location is part of the key: community groups in different provinces
    often share a name ("Land Community (Pailin)").
    """
    key = fold_for_key(organisation)
    if location and fold_for_key(location):
        key += "|" + fold_for_key(location)
    return key[:400]


class Endorsement(db.Model):
    __tablename__ = "endorsements"
    __table_args__ = (
        sa.UniqueConstraint("statement_id", "position"),
        # Two approved endorsements of one organisation on one statement are refused
        # by the database itself, whatever the views check first.
        sa.Index(
            "uq_endorsements_approved_organisation",
            "statement_id",
            "organisation_key",
            unique=True,
            sqlite_where=sa.text("status = 'approved'"),
            postgresql_where=sa.text("status = 'approved'"),
        ),
        sa.Index("ix_endorsements_statement_status", "statement_id", "status"),
        # The duplicate look-ups at sign-on and in the queue.
        sa.Index("ix_endorsements_statement_key", "statement_id", "organisation_key"),
        sa.Index("ix_endorsements_statement_acronym", "statement_id", "acronym"),
        sa.Index("ix_endorsements_status_submitted", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("statements.id"))
    organisation: Mapped[str] = mapped_column(sa.String(200))
    organisation_key: Mapped[str] = mapped_column(sa.String(400))
    # The name in Khmer script, beside the Latin-script one; the list shows the one for the page's language.
    organisation_km: Mapped[str | None] = mapped_column(sa.String(200))
    acronym: Mapped[str | None] = mapped_column(sa.String(40))
    location: Mapped[str | None] = mapped_column(sa.String(120))
    website: Mapped[str | None] = mapped_column(sa.String(300))
    contact_name: Mapped[str | None] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    message: Mapped[str | None] = mapped_column(sa.Text)
    authorised: Mapped[bool] = mapped_column(default=False)
    # "Count us, but do not publish our name": counted publicly, named to moderators only.
    anonymous: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # "Send us news about this statement": the contact asked for the statement's updates
    # (`domain.updates`); their personal page and every update's unsubscribe link change it.
    wants_updates: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The interface language when they signed: every later mail is written in it.
    language: Mapped[str] = mapped_column(sa.String(8), default="en", server_default="en")
    # The statement text version they endorsed (Statement.version at sign-on).
    statement_version: Mapped[int | None]
    status: Mapped[EndorsementStatus] = mapped_column(
        status_column_type(EndorsementStatus), default=EndorsementStatus.UNCONFIRMED
    )
    # The stable public order: given once, at approval (or import), never reused.
    position: Mapped[int | None]
    # "web", "phone", "paper"... or "import:<file name>" for a row of an imported spreadsheet.
    source: Mapped[str] = mapped_column(sa.String(200), default="web")
    submitted_at: Mapped[datetime] = mapped_column(default=now_utc)
    confirmed_at: Mapped[datetime | None]
    # Mails sent to the contact; capped so a form cannot be used to flood an inbox.
    mails_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("moderators.id"))
    rejection_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Why a submission was set aside as suspected (honeypot, too fast, blocked domain...).
    suspicion: Mapped[str | None] = mapped_column(sa.String(200))
    # A keyed hash of the submitter's IP, for abuse review; erased by `retention purge`.
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)

    statement = relationship("Statement", back_populates="endorsements")
    decided_by = relationship("Moderator")
    events = relationship(
        "ModerationEvent",
        back_populates="endorsement",
        order_by="ModerationEvent.id",
    )
    notes = relationship("ModeratorNote", back_populates="endorsement", order_by="ModeratorNote.id")
    corrections = relationship("NameCorrection", back_populates="endorsement", order_by="NameCorrection.id")

    # What the public list shows: the endorser may ask to correct these, a moderator edits them.
    PUBLIC_FIELDS = ("organisation", "organisation_km", "acronym", "location")

    @property
    def is_pending(self) -> bool:
        return self.status == EndorsementStatus.PENDING

    @property
    def is_decidable(self) -> bool:
        return self.status in DECIDABLE_STATUSES

    @property
    def is_standing(self) -> bool:
        return self.status in STANDING_STATUSES

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    def can(self, event: str) -> bool:
        """Whether the transition table allows `event` from the current status."""
        return self.status in TRANSITIONS[event]

    def move(self, event: str) -> EndorsementStatus:
        """Take the status where `event` leads (the one way a status changes); returns the old one."""
        before = self.status
        if not self.can(event):
            raise TransitionRefused(event, before)
        self.status = TRANSITIONS[event][before]
        return before

    @property
    def waiting_correction(self):
        """The endorser's correction that no moderator has decided yet, if any."""
        return next((c for c in reversed(self.corrections) if c.is_waiting), None)

    @property
    def display_name(self) -> str:
        """The name as the list prints it: 'Name (ACRONYM)', 'Name (Location)' or both."""
        name = self.organisation
        if self.acronym:
            name += f" ({self.acronym})"
        if self.location:
            name += f" ({self.location})"
        return name

    def public_fields(self) -> dict:
        return {name: getattr(self, name) for name in self.PUBLIC_FIELDS}

    def refresh_key(self) -> None:
        self.organisation_key = organisation_key(self.organisation, self.location)

    @classmethod
    def _in_public_list(cls, statement_id: int):
        return sa.and_(cls.statement_id == statement_id, cls.status.in_(PUBLIC_STATUSES))

    @classmethod
    def select_public(cls, statement_id: int, order: str = "published") -> sa.Select:
        """The named, approved endorsers in list order: everything any public output may show."""
        query = sa.select(cls).where(cls._in_public_list(statement_id), sa.not_(cls.anonymous))
        if order == "alphabetical":
            return query.order_by(sa.func.lower(cls.organisation), cls.position)
        return query.order_by(cls.position)

    @classmethod
    def count_public(cls, statement_id: int) -> sa.Select:
        """Named, approved endorsers (the length of the public list)."""
        return sa.select(sa.func.count(cls.id)).where(
            cls._in_public_list(statement_id), sa.not_(cls.anonymous)
        )

    @classmethod
    def count_anonymous(cls, statement_id: int) -> sa.Select:
        """Approved endorsers who asked not to be named: counted, never listed."""
        return sa.select(sa.func.count(cls.id)).where(cls._in_public_list(statement_id), cls.anonymous)

    @classmethod
    def select_by_status(cls, status: EndorsementStatus, statement_id: int | None = None) -> sa.Select:
        """Endorsements in one status, oldest first: each tab of the moderation queue."""
        query = sa.select(cls).where(cls.status == status)
        if statement_id is not None:
            query = query.where(cls.statement_id == statement_id)
        return query.order_by(cls.submitted_at, cls.id)

    @classmethod
    def count_by_status(cls, status: EndorsementStatus, statement_id: int | None = None) -> sa.Select:
        query = sa.select(sa.func.count(cls.id)).where(cls.status == status)
        if statement_id is not None:
            query = query.where(cls.statement_id == statement_id)
        return query

    @classmethod
    def select_standing_repeat(cls, statement_id: int, key: str, email: str | None) -> sa.Select:
        """A standing endorsement of the same organisation from the same address."""
        return sa.select(cls).where(
            cls.statement_id == statement_id,
            cls.status.in_(STANDING_STATUSES),
            cls.organisation_key == key,
            sa.func.lower(cls.email) == (email or "").lower(),
        )

    @classmethod
    def select_wanting_updates(cls, statement_id: int) -> sa.Select:
        """Endorsements whose contact asked for the statement's news and may get it: a confirmed
        address, still there (not purged), pending or approved. Oldest first."""
        return (
            sa.select(cls)
            .where(
                cls.statement_id == statement_id,
                cls.wants_updates,
                cls.confirmed_at.is_not(None),
                cls.email.is_not(None),
                cls.status.in_(UPDATE_STATUSES),
            )
            .order_by(cls.id)
        )

    @classmethod
    def next_position(cls, statement_id: int) -> sa.Select:
        return sa.select(sa.func.coalesce(sa.func.max(cls.position), 0) + 1).where(
            cls.statement_id == statement_id
        )
