"""Readable error pages; none of them shows submitted data back."""

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

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


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400,
            _(
                "This form has expired or did not come from this site. "
                "Please reload the page and send it again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code in MESSAGES:
            return render_error(error.code)
        return error

    @app.errorhandler(Exception)
    def unexpected_error(error):
        app.logger.exception("unhandled error")
        return render_error(500)
