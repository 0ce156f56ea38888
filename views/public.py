"""The public site: statements, their lists, the sign-on form, and the reader's language."""

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

from babel import Locale
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    has_request_context,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from domain import RuleError
from domain.endorsements import SignonClosed, confirm, request_correction, submit, withdraw
from domain.notifications import (
    notify_endorser_of_repeat_signon,
    notify_endorser_that_endorsement_is_withdrawn,
    notify_endorser_to_confirm,
    notify_moderators_of_correction,
    notify_moderators_of_new_endorsement,
    notify_moderators_of_withdrawal,
)
from domain.outbox import after_commit
from domain.spam import form_timer, ip_hash, suspicion
from domain.statements import languages_of, text_in
from domain.tokens import CONFIRM, MANAGE, TokenProblem, read_token
from extensions import db, limiter
from forms import EmptyForm
from forms.signon import CorrectionForm, SignOnForm
from models import Endorsement, EndorsementStatus, Statement, StatementStamp, StatementStatus
from views.auth import safe_next
from views.errors import render_error
from views.page_cache import READER_FIELDS, endorser_list, page_etag, shared_page, statement_body

bp = Blueprint("public", __name__)

LANGUAGE_COOKIE = "lang"
# What an endorser's own link shows as the state of their endorsement.
STATUS_LABELS = {
    EndorsementStatus.UNCONFIRMED: _l("waiting for your confirmation"),
    EndorsementStatus.PENDING: _l("waiting for review by a moderator"),
    EndorsementStatus.SUSPECTED: _l("waiting for review by a moderator"),
    EndorsementStatus.APPROVED: _l("published in the list"),
    EndorsementStatus.REJECTED: _l("not accepted"),
    EndorsementStatus.WITHDRAWN: _l("withdrawn"),
}


# ---------------------------------------------------------------- the reader's language


def select_locale() -> str:
    """An explicit choice (`?lang=` here, else the cookie), else Accept-Language, else the default."""
    languages = current_app.config["LANGUAGES"]
    if has_request_context():
        for chosen in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
            if chosen in languages:
                return chosen
        best = request.accept_languages.best_match(languages)
        if best:
            return best
    return current_app.config["DEFAULT_LANGUAGE"]


@bp.before_app_request
def choose_language_afresh():
    """Flask-Babel keeps the locale in `g`, which outlives a request when an app context was
    already pushed (tests, scripts): decide again for every request."""
    refresh()


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


@bp.get("/language/<code>")
def set_language(code: str):
    """The language switcher: remember the choice, then back to the page it was made on."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(safe_next(request.args.get("next"), default=url_for("public.index")), code=303)
    remember_language(response, code)
    return response


@bp.after_app_request
def remember_explicit_language(response):
    """A link with ?lang= (shared, or sent in a mail) is a choice too: keep it for the next pages."""
    chosen = request.args.get("lang")
    if chosen in current_app.config["LANGUAGES"] and request.cookies.get(LANGUAGE_COOKIE) != chosen:
        remember_language(response, chosen)
    if response.mimetype == "text/html":
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def _page_to_return_to() -> str:
    """This page again, for the switcher: without ?lang=, and never an address that only takes POST."""
    if request.method in ("GET", "HEAD"):
        args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
        return request.path + ("?" + urlencode(args) if args else "")
    adapter = current_app.url_map.bind("localhost")
    for candidate in (request.path, request.path.rsplit("/", 1)[0]):
        try:
            adapter.match(candidate, method="GET")
        except HTTPException:
            continue
        return candidate
    return url_for("public.index")


@bp.app_template_global()
def language_switch() -> list[dict]:
    """One link per interface language, each named in its own language."""
    here = _page_to_return_to()
    return [
        {
            "code": code,
            "name": language_name(code, code),
            "url": url_for("public.set_language", code=code, next=here),
            "current": code == current_language(),
        }
        for code in current_app.config["LANGUAGES"]
    ]


@bp.app_template_global()
def language_name(code: str, in_language: str | None = None) -> str:
    """'Khmer' to an English reader, 'ខ្មែរ' to a Khmer one."""
    return Locale.parse(code).get_display_name(in_language or current_language())


@bp.app_template_global()
def statement_text(statement: Statement):
    """The statement's kicker, title and body in the current language when it has them."""
    return text_in(statement, current_language())


@bp.app_template_global()
def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@bp.app_template_filter()
def listed_name(endorsement: Endorsement) -> str:
    """The name as the list prints it: the name in the page's script, the other in brackets,
    then acronym and location: 'Prey Lang Community (សហគមន៍ព្រៃឡង់) (PLC) (Kratie)'."""
    names = [endorsement.organisation]
    other = endorsement.organisation_km
    if other and other != endorsement.organisation:
        names = [other, endorsement.organisation] if current_language() == "km" else [names[0], other]
    extras = [*names[1:], endorsement.acronym, endorsement.location]
    return names[0] + "".join(f" ({extra})" for extra in extras if extra)


@bp.app_context_processor
def language_context() -> dict:
    return {"current_language": current_language()}


# ---------------------------------------------------------------- statements and sign-on


def get_public_statement_or_404(slug: str) -> Statement:
    statement = db.session.scalar(Statement.select_by_slug(slug))
    if statement is None or not statement.is_public:
        abort(404)
    return statement


def render_statement(statement: Statement, form: SignOnForm | None = None, status: int = 200):
    """The statement page with this form and its errors, or else the page any reader gets."""
    if form is None:
        return serve_statement_page(statement.stamp(), lambda: statement)
    page = _render_statement_page(statement, form, statement.accepts_signons(), Markup(reader_fields()))
    return make_response(page, status)


def serve_statement_page(stamp: StatementStamp, load: Callable[[], Statement]):
    """A reader who already has this version gets a 304, and an anonymous reader gets the
    shared bytes of this version with their own form fields put in. Only a page that has to
    be rendered loads the statement (`load`)."""
    accepts_signons = stamp.accepts_signons()

    def render(fields: str) -> str:
        return _render_statement_page(load(), SignOnForm(), accepts_signons, Markup(fields))

    if "_flashes" in session:  # a message for this reader only, shown once
        return make_response(render(reader_fields()))
    if request.if_none_match:  # a first visit has no validator to compare
        etag = page_etag(stamp, accepts_signons)
        if request.if_none_match.contains_weak(etag):
            return _with_validators(make_response("", 304), stamp, accepts_signons, etag)
    if current_user.is_authenticated or set(request.args) - {"lang"}:
        return _with_validators(make_response(render(reader_fields())), stamp, accepts_signons)
    shared = shared_page(stamp, accepts_signons, lambda: render(READER_FIELDS))
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


def _render_statement_page(
    statement: Statement, form: SignOnForm, accepts_signons: bool, fields: Markup
) -> str:
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


@bp.get("/")
def index():
    statements = db.session.scalars(Statement.select_public()).all()
    open_ones = [s for s in statements if s.status == StatementStatus.OPEN]
    if len(open_ones) == 1:
        return render_statement(open_ones[0])
    if len(statements) == 1:
        return render_statement(statements[0])
    return render_template("public/index.html", statements=statements)


@bp.get("/statements/<slug>")
def statement(slug: str):
    stamp = StatementStamp.of_slug(slug)
    if stamp is None or not stamp.is_public:
        abort(404)
    return serve_statement_page(stamp, lambda: db.get_or_404(Statement, stamp.id))


def _signon_limit_key() -> str:
    """Per client address and per statement."""
    return f"sign:{request.remote_addr}:{request.view_args.get('slug')}"


@bp.post("/statements/<slug>/sign")
@limiter.limit(lambda: current_app.config["SIGNON_RATE_LIMIT"], key_func=_signon_limit_key)
def sign(slug: str):
    statement = get_public_statement_or_404(slug)
    form = SignOnForm()
    if not statement.accepts_signons():
        return render_statement(statement, form, status=409)
    if not form.validate_on_submit():
        return render_statement(statement, form, status=422)
    reason = suspicion(
        honeypot=form.homepage.data,
        timer=form.shown_at.data,
        email=form.email.data,
        address=request.remote_addr,
    )
    try:
        endorsement, created = submit(
            statement,
            {**form.data, "language": current_language()},
            suspicion=reason,
            ip_hash=ip_hash(request.remote_addr),
        )
    except SignonClosed:
        return render_statement(statement, form, status=409)
    if reason is None:
        (notify_endorser_to_confirm if created else notify_endorser_of_repeat_signon)(endorsement)
    db.session.commit()
    after_commit()
    # The same answer whatever happened: a script learns nothing, nor does anyone probing who signed.
    return redirect(url_for("public.thanks", slug=slug), code=303)


@bp.get("/statements/<slug>/thanks")
def thanks(slug: str):
    return render_template("public/thanks.html", statement=get_public_statement_or_404(slug))


def endorsement_from_token(token: str, purpose: str) -> Endorsement:
    """The endorsement a mailed link points to, or a clear error page."""
    try:
        endorsement_id = read_token(token, purpose)
    except TokenProblem as problem:
        abort(make_response(render_error(problem.status, str(problem))))
    endorsement = db.session.get(Endorsement, endorsement_id)
    if endorsement is None:
        abort(make_response(render_error(404, _("This endorsement no longer exists."))))
    return endorsement


@bp.get("/confirm/<token>", endpoint="confirm")
def confirm_page(token: str):
    """Only shows a button: mail scanners that open links must not confirm anything."""
    endorsement = endorsement_from_token(token, CONFIRM)
    return render_template("public/confirm.html", endorsement=endorsement, form=EmptyForm())


@bp.post("/confirm/<token>")
def confirm_endorsement(token: str):
    endorsement = endorsement_from_token(token, CONFIRM)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if confirm(endorsement):
        notify_moderators_of_new_endorsement(endorsement)
    db.session.commit()
    after_commit()
    return render_template("public/confirmed.html", endorsement=endorsement)


@bp.get("/manage/<token>")
def manage(token: str):
    endorsement = endorsement_from_token(token, MANAGE)
    return _render_manage(endorsement, CorrectionForm(obj=endorsement))


def _render_manage(endorsement, correction_form, status=200):
    page = render_template(
        "public/manage.html",
        endorsement=endorsement,
        withdraw_form=EmptyForm(),
        correction_form=correction_form,
    )
    return page, status


@bp.post("/manage/<token>/withdraw")
def withdraw_endorsement(token: str):
    endorsement = endorsement_from_token(token, MANAGE)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        withdraw(endorsement, note="withdrawn by the endorser through their link")
    except RuleError:
        flash(
            _(
                "This endorsement is %(status)s; it can no longer be withdrawn.",
                status=status_label(endorsement.status),
            ),
            "error",
        )
        return redirect(url_for("public.manage", token=token))
    notify_endorser_that_endorsement_is_withdrawn(endorsement)
    notify_moderators_of_withdrawal(endorsement)
    db.session.commit()
    after_commit()
    flash(_("Your endorsement is withdrawn. It no longer appears in the list."), "success")
    return redirect(url_for("public.manage", token=token), code=303)


@bp.post("/manage/<token>/correct")
def correct_endorsement(token: str):
    endorsement = endorsement_from_token(token, MANAGE)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _render_manage(endorsement, form, status=422)
    try:
        request_correction(endorsement, form.data, note=form.note.data)
    except RuleError:
        flash(
            _(
                "This endorsement is %(status)s; it can no longer be changed.",
                status=status_label(endorsement.status),
            ),
            "error",
        )
        return redirect(url_for("public.manage", token=token))
    notify_moderators_of_correction(endorsement)
    db.session.commit()
    after_commit()
    flash(_("Thank you. The corrected name goes back to the moderators for review."), "success")
    return redirect(url_for("public.manage", token=token), code=303)
