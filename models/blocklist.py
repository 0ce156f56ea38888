"""Block lists as data, edited by admins: submissions that match are set aside as suspected."""

import ipaddress
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import now_utc


class BlockEntry:
    """What every block-list entry has beside what it blocks: who added it and why is in the audit."""

    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


class BlockedEmailDomain(BlockEntry, db.Model):
    __tablename__ = "blocked_email_domains"

    domain: Mapped[str] = mapped_column(sa.String(253), unique=True)

    @classmethod
    def matches(cls, email: str | None) -> bool:
        """True for the domain itself and any subdomain of it."""
        if not email or "@" not in email:
            return False
        domain = email.rsplit("@", 1)[1].lower().rstrip(".")
        parts = domain.split(".")
        candidates = [".".join(parts[i:]) for i in range(len(parts))]
        return db.session.scalar(sa.select(sa.func.count(cls.id)).where(cls.domain.in_(candidates))) > 0


class BlockedNetwork(BlockEntry, db.Model):
    __tablename__ = "blocked_networks"

    cidr: Mapped[str] = mapped_column(sa.String(50), unique=True)

    @classmethod
    def matches(cls, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        networks = db.session.scalars(sa.select(cls.cidr))
        return any(ip in ipaddress.ip_network(cidr, strict=False) for cidr in networks)
