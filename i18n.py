"""The reader's language: an explicit choice (`?lang=`, then the cookie the switcher sets),
else the browser's Accept-Language, else DEFAULT_LANGUAGE."""

from datetime import timedelta

from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale, refresh

from extensions import babel

LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if has_request_context():
        for chosen in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
            if chosen in languages:
                return chosen
        best = request.accept_languages.best_match(languages)
        if best:
            return best
    return current_app.config["DEFAULT_LANGUAGE"]


def current_language() -> str:
    return str(get_locale())


def remember_language(response, code: str) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=timedelta(days=365),
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )


def _choose_language_afresh() -> None:
    """Flask-Babel keeps the locale in `g`, which outlives a request when an app context was
    already pushed (tests, scripts): decide again for every request."""
    refresh()


def _remember_explicit_language(response):
    """A link with ?lang= (shared, or sent in a mail) is a choice too: keep it for the next pages."""
    chosen = request.args.get("lang")
    if chosen in current_app.config["LANGUAGES"] and request.cookies.get(LANGUAGE_COOKIE) != chosen:
        remember_language(response, chosen)
    if response.mimetype == "text/html":
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(_choose_language_afresh)
    app.after_request(_remember_explicit_language)
