"""Moderator login and logout, and the sessions the server can end.

A session is a signed cookie; what makes it revocable is checked on every request by
`load_moderator`: the moderator's session generation (bumped by logout, a new password,
deactivation and a role change), an absolute age limit counted from login
(MODERATOR_SESSION_HOURS, never renewed by activity), and the browser it was opened in.
"""

import hashlib
import logging
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from extensions import db, ip_hash, limiter, login_manager
from forms import EmptyForm
from forms.auth import LoginForm
from models import Moderator
from views import never_store

bp = Blueprint("auth", __name__)
log = logging.getLogger("jointly.auth")
bp.after_request(never_store)

# What a logged-in session holds besides Flask-Login's own keys.
GENERATION, LOGGED_IN_AT, BROWSER = "moderator_generation", "logged_in_at", "browser"


def _browser_fingerprint() -> str:
    """The address and browser a session was opened from (Flask-Login's "strong" identifier):
    a cookie copied to another browser or machine does not open a session there."""
    seen = f"{ip_hash(request.remote_addr)}|{request.user_agent.string}"
    return hashlib.sha256(seen.encode()).hexdigest()[:32]


def _session_is_current(moderator: Moderator) -> bool:
    age = time.time() - session.get(LOGGED_IN_AT, 0)
    return (
        session.get(GENERATION) == moderator.session_generation
        and 0 <= age <= current_app.config["MODERATOR_SESSION_HOURS"] * 3600
        and session.get(BROWSER) == _browser_fingerprint()
    )


@login_manager.user_loader
def load_moderator(moderator_id: str):
    """The moderator of this session, or None (and a cleared session) when it has ended."""
    moderator = db.session.get(Moderator, int(moderator_id))
    if moderator and moderator.active and _session_is_current(moderator):
        return moderator
    session.clear()
    return None


def authenticate(email: str, password: str) -> Moderator | None:
    """The same answer, and about the same time, for an unknown email and a wrong password."""
    moderator = db.session.scalar(Moderator.select_by_email(email))
    if moderator is None:
        Moderator.waste_password_check(password)
        return None
    if not moderator.check_password(password) or not moderator.active:
        return None
    moderator.upgrade_hash(password)
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
    """Failed attempts on one account are limited wherever they come from (hashed: no address
    of anyone is kept in the limiter's store)."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return "login-account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _clear_session() -> None:
    """Nothing of the session survives, its CSRF token included (Flask-WTF also keeps the
    request's token in `g`)."""
    session.clear()
    g.pop("csrf_token", None)


def _start_session(moderator: Moderator) -> None:
    """A new session from scratch: nothing from before the login survives."""
    _clear_session()
    login_user(moderator)
    session[GENERATION] = moderator.session_generation
    session[LOGGED_IN_AT] = int(time.time())
    session[BROWSER] = _browser_fingerprint()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    key_func=_account_key,
    methods=["POST"],
    # Only failed attempts count, so a moderator who logs in often is never locked out by it.
    deduct_when=lambda response: response.status_code == 401,
)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        moderator = authenticate(form.email.data, form.password.data)
        if moderator:
            _start_session(moderator)
            log.info("login: moderator %s", moderator.id)
            return redirect(safe_next(request.args.get("next")))
        # Never the address that was typed: it may be anyone's, or a password typed in the wrong box.
        log.warning("login failed")
        flash(_("Email or password is not right."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Ends every session of this moderator, here and in any other browser."""
    form = EmptyForm()
    if form.validate_on_submit():
        current_user.end_sessions()
        db.session.commit()
        log.info("logout: moderator %s (every session ended)", current_user.id)
        logout_user()
        _clear_session()
        flash(_("You are logged out."), "success")
    return redirect(url_for("public.index"))
