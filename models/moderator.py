from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import now_utc

# argon2id at OWASP's recommended floor (19 MiB, 2 passes, 1 lane): ASVS 5 strength without
# the library default's 64 MiB per login, which pushed every web worker past 150 MB.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_dummy_hash: str | None = None


class Role:
    ADMIN = "admin"
    MODERATOR = "moderator"
    ALL = (ADMIN, MODERATOR)


class Moderator(UserMixin, db.Model):
    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(16), default=Role.MODERATOR)
    active: Mapped[bool] = mapped_column(default=True)
    notify_new_endorsements: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    # Every session carries the generation it was opened in; bumping it ends them all
    # (logout, a new password, deactivation, a new role).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def set_password(self, password: str) -> None:
        """A new password ends every session opened with the old one."""
        self.password_hash = _hasher.hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        self.session_generation = (self.session_generation or 0) + 1

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @staticmethod
    def waste_password_check(password: str) -> None:
        """Spend the time of a real check, so an unknown email is not told apart by timing."""
        global _dummy_hash
        _dummy_hash = _dummy_hash or _hasher.hash("no such moderator")  # made on first use, not at import
        try:
            _hasher.verify(_dummy_hash, password)
        except VerificationError:
            pass

    def upgrade_hash(self, password: str) -> None:
        """The same password, hashed with today's parameters (sessions stay open)."""
        if _hasher.check_needs_rehash(self.password_hash):
            self.password_hash = _hasher.hash(password)

    @classmethod
    def select_by_email(cls, email: str) -> sa.Select:
        return sa.select(cls).where(sa.func.lower(cls.email) == email.strip().lower())
