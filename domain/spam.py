"""Telling likely abuse from real sign-ons, quietly: suspects are stored, never thrown away."""

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner

from models import BlockedEmailDomain, BlockedNetwork, now_utc

_TIMER_VALUE = b"signon-form"
# Why a sign-on was set aside, as stored; domain.labels words them for the moderator.
HONEYPOT = "honeypot field filled in"
TIMER_ALTERED = "form timer missing or altered"
BLOCKED_DOMAIN = "email domain is on the block list"
BLOCKED_NETWORK = "address is in a blocked network"
TOO_FAST = "sent {:.1f} s after the form was shown"


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="jointly.signon-timer")


def form_timer() -> str:
    """A signed 'form shown at' time, put in the form so a too-quick submit can be told."""
    return _signer().sign(_TIMER_VALUE).decode()


def seconds_since_shown(timer: str | None) -> float | None:
    try:
        _, shown_at = _signer().unsign(timer or "", return_timestamp=True)
    except BadSignature:
        return None
    return (now_utc() - shown_at.replace(tzinfo=None)).total_seconds()


def suspicion(
    *, honeypot: str | None, timer: str | None, email: str | None, address: str | None
) -> str | None:
    """Why this sign-on looks like abuse, or None; the submitter is never told."""
    if honeypot:
        return HONEYPOT
    minimum = current_app.config["SIGNON_MIN_SECONDS"]
    if minimum:
        elapsed = seconds_since_shown(timer)
        if elapsed is None:
            return TIMER_ALTERED
        if elapsed < minimum:
            return TOO_FAST.format(elapsed)
    if BlockedEmailDomain.matches(email):
        return BLOCKED_DOMAIN
    if BlockedNetwork.matches(address):
        return BLOCKED_NETWORK
    return None
