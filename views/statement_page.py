"""The statement page: its text, its numbered list and the sign-on form, served cheaply.

Used by the public site and by the admins' preview of drafts.
"""

from collections.abc import Callable

from flask import current_app, make_response, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from domain.spam import form_timer
from domain.statements import languages_of, text_in
from forms.signon import SignOnForm
from i18n import current_language
from models import Statement, StatementStamp
from views.page_cache import READER_FIELDS_SLOT, endorser_list, page_etag, shared_page, statement_body


def render_statement(statement: Statement, form: SignOnForm | None = None, status: int = 200):
    """The statement page with this form and its errors, or else the page any reader gets."""
    if form is None:
        return serve_statement_page(statement.stamp(), lambda: statement)
    page = _render_page(statement, form, statement.accepts_signons(), Markup(reader_fields()))
    return make_response(page, status)


def serve_statement_page(stamp: StatementStamp, load: Callable[[], Statement]):
    """A reader who already has this version gets a 304, and an anonymous reader gets the
    shared bytes of this version with their own form fields put in. Only a page that has to
    be rendered loads the statement (`load`)."""
    accepts_signons = stamp.accepts_signons()

    def render(fields: str) -> str:
        return _render_page(load(), SignOnForm(), accepts_signons, Markup(fields))

    if "_flashes" in session:  # a message for this reader only, shown once
        return make_response(render(reader_fields()))
    if request.if_none_match:  # a first visit has no validator to compare
        etag = page_etag(stamp, accepts_signons)
        if request.if_none_match.contains_weak(etag):
            return _with_validators(make_response("", 304), stamp, accepts_signons, etag)
    if current_user.is_authenticated or set(request.args) - {"lang"}:
        return _with_validators(make_response(render(reader_fields())), stamp, accepts_signons)
    shared = shared_page(stamp, accepts_signons, lambda: render(READER_FIELDS_SLOT))
    fields = reader_fields() if accepts_signons else ""
    if request.accept_encodings.quality("gzip") > 0:
        response = make_response(shared.gzipped(fields))
        response.content_encoding = "gzip"
    else:
        response = make_response(shared.plain(fields))
    return _with_validators(response, stamp, accepts_signons)


def reader_fields() -> str:
    """The sign-on form's hidden fields that differ per reader: the CSRF token of their
    session and the signed time the form was shown (`domain.spam`)."""
    # The same markup as WTForms' hidden_tag(), without building the whole form per reader.
    return (
        f'<input id="csrf_token" name="csrf_token" type="hidden" value="{escape(generate_csrf())}">'
        f'<input id="shown_at" name="shown_at" type="hidden" value="{escape(form_timer())}">'
    )


def _render_page(statement: Statement, form: SignOnForm, accepts_signons: bool, fields: Markup) -> str:
    list_html, named, unnamed = endorser_list(statement)
    language = current_language()
    text = text_in(statement, language)
    return render_template(
        "public/statement.html",
        statement=statement,
        text=text,
        other_languages=[
            code
            for code in languages_of(statement)
            if code in current_app.config["LANGUAGES"] and code != language
        ],
        body_html=statement_body(statement, text),
        list_html=list_html,
        count=named + unnamed,
        form=form,
        reader_fields=fields,
        accepts_signons=accepts_signons,
    )


def _with_validators(response, stamp: StatementStamp, accepts_signons: bool, etag: str | None = None):
    """The page carries the reader's CSRF token: cacheable by their browser only, revalidated.
    The ETag is weak: the plain and the gzip page are the same page. After a page it is worked
    out again: the page may have given a new reader their session's CSRF token."""
    response.set_etag(etag or page_etag(stamp, accepts_signons), weak=True)
    response.last_modified = stamp.updated_at
    response.headers["Cache-Control"] = "private, no-cache"
    # A 304 names every header its 200 varied on, so caches pair them right.
    response.vary.update(("Cookie", "Accept-Language", "Accept-Encoding"))
    return response
