"""Moderator login and logout."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from extensions import db, limiter, login_manager
from forms import EmptyForm
from forms.auth import LoginForm
from models import Moderator

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_moderator(moderator_id: str):
    moderator = db.session.get(Moderator, int(moderator_id))
    return moderator if moderator and moderator.active else None


def authenticate(email: str, password: str) -> Moderator | None:
    """The same answer, and about the same time, for an unknown email and a wrong password."""
    moderator = db.session.scalar(Moderator.select_by_email(email))
    if moderator is None:
        Moderator.waste_password_check(password)
        return None
    if not moderator.check_password(password) or not moderator.active:
        return None
    if moderator.password_needs_rehash:  # hashes made with older parameters are upgraded at login
        moderator.set_password(password)
        db.session.commit()
    return moderator


def safe_next(target: str | None, default: str | None = None) -> str:
    """Only a path on this site, never an absolute URL to somewhere else; else `default` (the queue)."""
    if not target:
        return default or url_for("moderation.queue")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ch.isspace() or not ch.isprintable() for ch in target)  # browsers drop tabs: "/\t/evil"
    ):
        return default or url_for("moderation.queue")
    return target


def _account_key() -> str:
    """Attempts on one account are limited wherever they come from."""
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], key_func=_account_key, methods=["POST"]
)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        moderator = authenticate(form.email.data, form.password.data)
        if moderator:
            session.permanent = True
            login_user(moderator)
            return redirect(safe_next(request.args.get("next")))
        flash(_("Email or password is not right."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You are logged out."), "success")
    return redirect(url_for("public.index"))
