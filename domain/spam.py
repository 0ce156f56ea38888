"""Telling likely abuse from real sign-ons, quietly: suspects are stored, never thrown away.

The form timer is a signed value put in the sign-on form when a reader first sees it: a
random nonce, a hash of the reader's session (so another browser cannot use it), and the
time. A form sent too soon after it was shown, with a timer made for someone else, older
than SIGNON_FORM_MAX_AGE_HOURS, or whose nonce already served another sign-on (a replay)
is kept as suspected for a moderator to review.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, session
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature, URLSafeTimedSerializer

from extensions import db
from models import BlockedEmailDomain, BlockedNetwork, SignonIntake, now_utc

# Why a sign-on was set aside, as stored; domain.labels words them for the moderator.
HONEYPOT = "honeypot field filled in"
TIMER_ALTERED = "form timer missing or altered"
TIMER_OTHER_READER = "form timer made for another browser"
TIMER_EXPIRED = "form shown more than a day before it was sent"
TIMER_REPLAYED = "form timer already used for another sign-on"
BLOCKED_DOMAIN = "email domain is on the block list"
BLOCKED_NETWORK = "address is in a blocked network"
MANY_FROM_ADDRESS = "many sign-ons from one address"
TOO_FAST = "sent {:.1f} s after the form was shown"


@dataclass(frozen=True)
class FormTimer:
    nonce: str
    reader: str
    shown_at: datetime


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="jointly.signon-form")


def reader_of_this_session() -> str:
    """Who a form is shown to: a hash of the secret behind their session's CSRF token."""
    generate_csrf()  # makes sure the session has its secret
    return hashlib.sha256(session["csrf_token"].encode()).hexdigest()[:16]


def new_form_timer() -> str:
    return _serializer().dumps({"nonce": secrets.token_urlsafe(12), "reader": reader_of_this_session()})


def read_form_timer(value: str | None) -> FormTimer | None:
    """The timer's content, or None when it is missing or not ours."""
    try:
        content, shown_at = _serializer().loads(value or "", return_timestamp=True)
    except BadSignature:
        return None
    if not isinstance(content, dict) or not {"nonce", "reader"} <= content.keys():
        return None
    return FormTimer(str(content["nonce"]), str(content["reader"]), shown_at.replace(tzinfo=None))


def timer_worth_keeping(value: str | None) -> bool:
    """A form shown again after an error keeps its first timer, if it is this reader's and current."""
    timer = read_form_timer(value)
    return timer is not None and timer.reader == reader_of_this_session() and not _expired(timer)


def _expired(timer: FormTimer) -> bool:
    return now_utc() - timer.shown_at > timedelta(hours=current_app.config["SIGNON_FORM_MAX_AGE_HOURS"])


def _replayed(nonce: str, submission_hash: str) -> bool:
    """The nonce first served a sign-on of another organisation or address (the same one sent
    again is a resubmission, not a replay)."""
    query = sa.select(SignonIntake.submission_hash).where(SignonIntake.form_nonce == nonce)
    first = db.session.scalar(query.order_by(SignonIntake.id).limit(1))
    return first is not None and first != submission_hash


def timer_suspicion(value: str | None, submission_hash: str) -> str | None:
    minimum = current_app.config["SIGNON_MIN_SECONDS"]
    if not minimum:
        return None
    timer = read_form_timer(value)
    if timer is None:
        return TIMER_ALTERED
    if timer.reader != reader_of_this_session():
        return TIMER_OTHER_READER
    if _expired(timer):
        return TIMER_EXPIRED
    elapsed = (now_utc() - timer.shown_at).total_seconds()
    if elapsed < minimum:
        return TOO_FAST.format(elapsed)
    if _replayed(timer.nonce, submission_hash):
        return TIMER_REPLAYED
    return None


def form_nonce(value: str | None) -> str | None:
    timer = read_form_timer(value)
    return timer.nonce if timer else None


def suspicion(
    *,
    honeypot: str | None,
    timer: str | None,
    submission_hash: str,
    email: str | None,
    address: str | None,
    over_review_limit: bool,
) -> str | None:
    """Why this sign-on looks like abuse, or None. Every check runs whatever the sign-on is,
    so the time it takes does not depend on who has signed."""
    reasons = [
        HONEYPOT if honeypot else None,
        timer_suspicion(timer, submission_hash),
        BLOCKED_DOMAIN if BlockedEmailDomain.matches(email) else None,
        BLOCKED_NETWORK if BlockedNetwork.matches(address) else None,
        MANY_FROM_ADDRESS if over_review_limit else None,
    ]
    return next((reason for reason in reasons if reason), None)
