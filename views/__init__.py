"""Blueprints by audience. What they share: numbers read from an address, kept to what a
database column can hold, and the header for pages no cache may keep."""

from functools import wraps

from flask import abort, make_response, request
from werkzeug.routing import IntegerConverter

# The largest integer PostgreSQL (bigint) and SQLite store: a query with a larger one is refused
# by the driver, which would be a 500 for a mistyped address.
LARGEST_NUMBER = 2**63 - 1


class DatabaseNumber(IntegerConverter):
    """`<int:...>` in a route: a number no row can have does not match, so it is a 404."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST_NUMBER)
        super().__init__(url_map, *args, **kwargs)


def number_arg(name: str, default: int | None = None) -> int | None:
    """A whole number from the query string, as `type=int` reads it (text that is no number
    is ignored), but one below 1 or beyond what the database holds is a 404."""
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return default
    if not 1 <= value <= LARGEST_NUMBER:
        abort(404)
    return value


def page_arg(per_page: int) -> int:
    """`?page=`: 1 by default; a page whose first row lies beyond any table is a 404."""
    page = number_arg("page", 1)
    if (page - 1) * per_page > LARGEST_NUMBER:
        abort(404)
    return page


def never_store(response):
    """Contact data, personal links, a reader's own form: no cache keeps the page, the
    browser's history included, so the next person at a shared computer cannot go back to it."""
    response.headers["Cache-Control"] = "no-store"
    return response


def not_stored(view):
    """`never_store` for one view of a blueprint whose other pages may be cached."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        return never_store(make_response(view(*args, **kwargs)))

    return wrapped
