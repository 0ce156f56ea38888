from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models import now_utc

# argon2id with the library's defaults (RFC 9106 low-memory profile), above OWASP ASVS 5.
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("no such moderator")


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

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @staticmethod
    def waste_password_check(password: str) -> None:
        """Spend the time of a real check, so an unknown email is not told apart by timing."""
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass

    @classmethod
    def select_by_email(cls, email: str) -> sa.Select:
        return sa.select(cls).where(sa.func.lower(cls.email) == email.strip().lower())
