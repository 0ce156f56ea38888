"""Readable error pages; none of them shows submitted data back."""

import logging
import time

from flask import g, has_request_context, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, InternalServerError

from extensions import limiter

log = logging.getLogger("jointly.limits")
EXPIRED_FORM = _l(
    "This form has expired or did not come from this site. Please reload the page and send it again."
)
MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to do this.")),
    404: (
        _l("Page not found"),
        _l("There is no page at this address. Check the link, or start from the home page."),
    ),
    405: (_l("Not allowed"), _l("This page cannot be used this way.")),
    413: (_l("Too much data"), _l("What you sent is too large. Please shorten it and try again.")),
    429: (_l("Too many attempts"), _l("You have tried this too often. Please wait a little and try again.")),
    500: (
        _l("Something went wrong"),
        _l(
            "An error on our side stopped this request. Nothing you sent has been shown to anyone. "
            "Please try again later."
        ),
    ),
}


def render_error(code: int, message: str | None = None):
    title, default = MESSAGES.get(code, MESSAGES[500])
    page = render_template("errors/error.html", code=code, title=str(title), message=str(message or default))
    return page, code


def minutes_until_retry() -> int:
    """When the limit this request broke lets the client try again (at least one minute)."""
    breached = limiter.current_limit
    if breached is None:
        return 1
    return max(1, round((breached.reset_at - time.time()) / 60))


def retry_message() -> str:
    return ngettext(
        "You have tried this too often. Please try again in %(num)d minute.",
        "You have tried this too often. Please try again in %(num)d minutes.",
        minutes_until_retry(),
    )


# Set when the request's transaction committed: an error after that must not say "nothing was saved".
_COMMITTED = "jointly_committed"


def _note_commit(session) -> None:
    if has_request_context() and not session.in_nested_transaction():  # a savepoint commits nothing yet
        setattr(g, _COMMITTED, True)


def failure_after_post() -> str:
    """What a 500 after a POST says: whether what was sent is stored, so nobody guesses."""
    saved = g.get(_COMMITTED, False)
    if request.endpoint == "public.sign" and saved:
        return _(
            "An error on our side interrupted the answer, but your endorsement was recorded: please do not "
            "send it again. If we asked you to confirm your email address, the email is on its way."
        )
    if request.endpoint == "public.sign":
        return _(
            "An error on our side stopped this request: your endorsement was not recorded. "
            "Please send the form again."
        )
    if saved:
        return _(
            "An error on our side interrupted the answer, but your change was saved. "
            "Please reload the page to see it."
        )
    return _("An error on our side stopped this request: nothing was saved. You can safely send it again.")


def register(app) -> None:
    if not event.contains(Session, "after_commit", _note_commit):
        event.listen(Session, "after_commit", _note_commit)

    @app.errorhandler(RateLimitExceeded)
    def too_many_attempts(error):
        # The limit and the route, not the key: it holds a hash of the address or the account.
        log.warning("rate limit %s reached on %s %s", error.limit.limit, request.method, request.endpoint)
        if error.response is not None:  # the limit made its own answer (the sign-on form, kept)
            return error.response
        return render_error(429, retry_message())

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, str(EXPIRED_FORM))

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code in MESSAGES:
            return render_error(error.code)
        return error

    # Flask hands an unhandled exception to this handler, after logging it, only when it does
    # not propagate: under TESTING and DEBUG the exception reaches the test or the debugger.
    @app.errorhandler(InternalServerError)
    def internal_error(error):
        return render_error(500, failure_after_post() if request.method == "POST" else None)
