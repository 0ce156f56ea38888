"""The statement page: its text and its numbered list, the same bytes for every anonymous reader.

Nothing on the page belongs to one reader: the sign-on form, with the reader's CSRF token
and form timer, is a page of its own (`views.public.signon_form`). So any cache may keep
the page: the browser revalidates it (a 304 when nothing changed), and a shared cache in
front of the app (nginx, a CDN) serves it for SHARED_CACHE_SECONDS. Moderators, and readers
with a message to see once, get a page of their own, which no shared cache keeps.
"""

from collections.abc import Callable

from flask import current_app, make_response, render_template, request, session
from flask_login import current_user

from domain.statements import languages_of, text_in
from i18n import current_language
from models import Statement, StatementStamp
from views.page_cache import endorser_list, page_etag, shared_page, statement_body
from views.shared_cache import SHARED_VARY, shared_headers


def render_statement(statement: Statement):
    """The statement page as this reader gets it (also the admins' preview of drafts)."""
    return serve_statement_page(statement.stamp(), lambda: statement)


def serve_statement_page(stamp: StatementStamp, load: Callable[[], Statement]):
    """A 304 for a reader who has this version, the shared bytes for an anonymous reader, a page
    of their own for the others. Only a page that has to be rendered loads the statement."""
    accepts_signons = stamp.accepts_signons()
    personal = "_flashes" in session or current_user.is_authenticated or bool(set(request.args) - {"lang"})
    if personal:
        response = make_response(_render_page(load(), accepts_signons))
        etag = page_etag(stamp, accepts_signons, reader=f"personal:{current_user.get_id() or ''}")
        return _with_validators(response, stamp, etag, shared=False)
    etag = page_etag(stamp, accepts_signons)
    if request.if_none_match.contains_weak(etag):
        return _with_validators(make_response("", 304), stamp, etag, shared=True)
    page = shared_page(stamp, accepts_signons, lambda: _render_page(load(), accepts_signons))
    if request.accept_encodings.quality("gzip") > 0:
        response = make_response(page.gzipped)
        response.content_encoding = "gzip"
    else:
        response = make_response(page.plain)
    return _with_validators(response, stamp, etag, shared=True)


def _render_page(statement: Statement, accepts_signons: bool) -> str:
    list_html, named, unnamed = endorser_list(statement)
    language = current_language()
    text = text_in(statement, language)
    versions = [code for code in languages_of(statement) if code in current_app.config["LANGUAGES"]]
    return render_template(
        "public/statement.html",
        statement=statement,
        text=text,
        language_versions=versions,
        other_languages=[code for code in versions if code != language],
        body_html=statement_body(statement, text),
        list_html=list_html,
        count=named + unnamed,
        accepts_signons=accepts_signons,
    )


def _with_validators(response, stamp: StatementStamp, etag: str, *, shared: bool):
    """A weak ETag (the plain and the gzip page are the same page) and Last-Modified; a shared
    page may be kept by shared caches for a few seconds, a reader's own page by nobody else."""
    response.set_etag(etag, weak=True)
    response.last_modified = stamp.updated_at
    if shared:  # the 304 too: a shared cache revalidating its copy keeps it as long again
        return shared_headers(response)
    response.headers["Cache-Control"] = "private, no-cache"
    # A 304 names every header its 200 varied on, so caches pair them right.
    response.vary.update(SHARED_VARY)
    return response
