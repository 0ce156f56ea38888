"""Moderator accounts, as admins manage them (the CLI's `moderators create` resets passwords too)."""

from flask_babel import gettext as _

from domain import RuleError
from domain.audit import record
from extensions import db
from models import Moderator


def add_moderator(email: str, role: str, password: str, admin) -> Moderator:
    """A new account, audited; an email that already has one is refused."""
    if db.session.scalar(Moderator.select_by_email(email)):
        raise RuleError(_("There is already an account with this email."))
    moderator = Moderator(email=email.lower(), role=role, active=True)
    moderator.set_password(password)
    db.session.add(moderator)
    record("add_moderator", moderator=admin, after={"email": moderator.email, "role": moderator.role})
    return moderator


def toggle_moderator(moderator: Moderator, admin) -> None:
    """Deactivate (or reactivate) an account, ending its sessions; nobody can lock themselves out."""
    if moderator.id == admin.id:
        raise RuleError(_("You cannot deactivate your own account."))
    moderator.active = not moderator.active
    moderator.end_sessions()
    action = "moderator_active" if moderator.active else "moderator_inactive"
    record(action, moderator=admin, after={"email": moderator.email})
