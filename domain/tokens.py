"""Signed, expiring links that let an endorser act without an account."""

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONFIRM = "confirm"
MANAGE = "manage"
# Can only stop a statement's news, so it lives long: an old update mail's link keeps working.
UNSUBSCRIBE = "unsubscribe"


class TokenProblem(Exception):
    """Why a link cannot be used, in words for the person who clicked it."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="jointly.endorsement-link")


def make_token(endorsement_id: int, purpose: str) -> str:
    return _serializer().dumps({"id": endorsement_id, "purpose": purpose})


def read_token(token: str, purpose: str) -> int:
    """The endorsement id the link was made for, or TokenProblem."""
    max_age = current_app.config[f"{purpose.upper()}_TOKEN_MAX_AGE_DAYS"] * 86400
    try:
        payload = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise TokenProblem(
            _("This link has expired. Please sign on again, or ask the organisers."), 410
        ) from error
    except BadSignature as error:
        raise TokenProblem(_("This link is not valid. Please copy the whole link from the email.")) from error
    if (
        not isinstance(payload, dict)
        or payload.get("purpose") != purpose
        or not isinstance(payload.get("id"), int)
    ):
        raise TokenProblem(
            _("This link is meant for another page. Please use the link from the email as it is.")
        )
    return payload["id"]
