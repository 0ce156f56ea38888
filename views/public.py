"""The public site: statements, their lists, the sign-on form, and the endorser's own links.

A sign-on POST checks the form, notes why it may be abuse (`domain.spam`), keeps it as sent
(`domain.intake.receive_signon`), commits and answers: the same work and the same answer
whatever it turns out to be; `domain.intake.process_signons` decides it right after.
"""

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from limits import parse_many

from domain import RuleError
from domain.corrections import request_correction
from domain.endorsements import confirm, withdraw
from domain.intake import receive_signon, submission_hash
from domain.spam import form_nonce, new_form_timer, suspicion, timer_worth_keeping
from domain.statements import text_in
from domain.tokens import CONFIRM, MANAGE, TokenProblem, read_token
from extensions import db, ip_hash, limiter
from forms import EmptyForm
from forms.signon import CorrectionForm, SignOnForm
from forms.updates import UpdatesChoiceForm
from i18n import current_language, remember_language
from models import Endorsement, Statement, StatementStamp, StatementStatus
from templating import status_label
from views import not_stored
from views.auth import safe_next
from views.errors import minutes_until_retry, render_error
from views.statement_page import render_statement, serve_statement_page

bp = Blueprint("public", __name__)
log = logging.getLogger("jointly.signon")


@bp.get("/language/<code>")
def set_language(code: str):
    """The language switcher: remember the choice, then back to the page it was made on."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(safe_next(request.args.get("next"), default=url_for("public.index")), code=303)
    remember_language(response, code)
    return response


def get_public_statement_or_404(slug: str) -> Statement:
    statement = db.session.scalar(Statement.select_by_slug(slug))
    if statement is None or not statement.is_public:
        abort(404)
    return statement


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
    """Per client address (hashed) and per statement."""
    return f"sign:{ip_hash(request.remote_addr)}:{request.view_args.get('slug')}"


def _over_review_limit(slug: str) -> bool:
    """More sign-ons from this address than SIGNON_REVIEW_LIMIT: each is still taken and answered
    like any other, but kept for a moderator to review (offices and mobile carriers put many
    people behind one address). Counted in the limiter's store; if it is down, nobody is over."""
    if not limiter.enabled:
        return False
    key = f"sign-review:{ip_hash(request.remote_addr)}:{slug}"
    try:
        hits = [
            limiter.limiter.hit(item, key) for item in parse_many(current_app.config["SIGNON_REVIEW_LIMIT"])
        ]
    except Exception:  # the store being down must not refuse a sign-on
        log.warning("the rate-limit store did not answer; sign-on counted as not over the review limit")
        return False
    return not all(hits)


def _render_form(statement: Statement, form: SignOnForm, status: int = 200, flood_minutes: int | None = None):
    """The sign-on form, with what the reader typed and their first form timer kept."""
    if not timer_worth_keeping(form.shown_at.data):
        form.shown_at.data = new_form_timer()
    page = render_template(
        "public/sign.html",
        statement=statement,
        text=text_in(statement, current_language()),
        form=form,
        accepts_signons=statement.accepts_signons(),
        flood_minutes=flood_minutes,
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _flood_answer(_request_limit):
    """Above the hard SIGNON_RATE_LIMIT: 429, the form again with what was typed, and when to retry."""
    statement = get_public_statement_or_404(request.view_args["slug"])
    return _render_form(statement, SignOnForm(), status=429, flood_minutes=minutes_until_retry())


@bp.get("/statements/<slug>/sign")
def signon_form(slug: str):
    return _render_form(get_public_statement_or_404(slug), SignOnForm())


@bp.post("/statements/<slug>/sign")
@limiter.limit(
    lambda: current_app.config["SIGNON_RATE_LIMIT"], key_func=_signon_limit_key, on_breach=_flood_answer
)
def sign(slug: str):
    statement = get_public_statement_or_404(slug)
    form = SignOnForm()
    if not statement.accepts_signons():
        return _render_form(statement, form, status=409)
    if not form.validate_on_submit():
        return _render_form(statement, form, status=422)
    data = {**form.data, "language": current_language()}
    reason = suspicion(
        honeypot=form.homepage.data,
        timer=form.shown_at.data,
        submission_hash=submission_hash(form.organisation.data, form.location.data, form.email.data),
        email=form.email.data,
        address=request.remote_addr,
        over_review_limit=_over_review_limit(slug),
    )
    receive_signon(
        statement,
        data,
        suspicion=reason,
        ip_hash=ip_hash(request.remote_addr),
        form_nonce=form_nonce(form.shown_at.data),
    )
    db.session.commit()
    # Only what this reader typed and whether it waits for review: nothing about who else signed.
    session["signed_on"] = {"slug": slug, "email": form.email.data, "review": reason is not None}
    return redirect(url_for("public.thanks", slug=slug), code=303)


@bp.get("/statements/<slug>/thanks")
def thanks(slug: str):
    statement = get_public_statement_or_404(slug)
    signed_on = session.pop("signed_on", None)
    if not signed_on or signed_on.get("slug") != slug:
        signed_on = None
    response = make_response(render_template("public/thanks.html", statement=statement, signed_on=signed_on))
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
@not_stored
def confirm_page(token: str):
    """Only shows a button: mail scanners that open links must not confirm anything."""
    endorsement = endorsement_from_token(token, CONFIRM)
    return render_template("public/confirm.html", endorsement=endorsement, form=EmptyForm())


@bp.post("/confirm/<token>")
@not_stored
def confirm_endorsement(token: str):
    endorsement = endorsement_from_token(token, CONFIRM)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        confirm(endorsement)
    except RuleError as refused:
        return render_error(409, str(refused))
    db.session.commit()
    return render_template("public/confirmed.html", endorsement=endorsement)


@bp.get("/manage/<token>")
@not_stored
def manage(token: str):
    endorsement = endorsement_from_token(token, MANAGE)
    return _render_manage(endorsement, CorrectionForm(obj=endorsement))


def _render_manage(endorsement, correction_form, status=200):
    page = render_template(
        "public/manage.html",
        endorsement=endorsement,
        correction_form=correction_form,
        # Not bound to this request's form: a correction sent with a mistake must not untick it.
        updates_form=UpdatesChoiceForm(formdata=None, updates=endorsement.wants_updates),
    )
    return page, status


def _refuse_change(endorsement: Endorsement, message: str, token: str):
    """The endorsement has moved on (withdrawn, rejected): say so on the personal page."""
    flash(message % {"status": status_label(endorsement.status)}, "error")
    return redirect(url_for("public.manage", token=token))


@bp.get("/manage/<token>/withdraw")
@not_stored
def confirm_withdrawal(token: str):
    """Asks "Are you sure?": withdrawing takes the name off the list at once, so never in one tap."""
    endorsement = endorsement_from_token(token, MANAGE)
    if not endorsement.can("withdraw"):
        return _refuse_change(
            endorsement, _("This endorsement is %(status)s; it can no longer be withdrawn."), token
        )
    return render_template("public/withdraw.html", endorsement=endorsement, form=EmptyForm())


@bp.post("/manage/<token>/withdraw")
def withdraw_endorsement(token: str):
    endorsement = endorsement_from_token(token, MANAGE)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        withdraw(endorsement, note="withdrawn by the endorser through their link")
    except RuleError:
        return _refuse_change(
            endorsement, _("This endorsement is %(status)s; it can no longer be withdrawn."), token
        )
    db.session.commit()
    flash(_("Your endorsement is withdrawn. It no longer appears in the list."), "success")
    return redirect(url_for("public.manage", token=token), code=303)


@bp.post("/manage/<token>/correct")
@not_stored
def correct_endorsement(token: str):
    endorsement = endorsement_from_token(token, MANAGE)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _render_manage(endorsement, form, status=422)
    if not endorsement.can("request_correction"):
        return _refuse_change(
            endorsement, _("This endorsement is %(status)s; it can no longer be changed."), token
        )
    try:
        request_correction(endorsement, form.data, note=form.note.data)
    except RuleError as nothing_to_do:
        flash(str(nothing_to_do), "error")
        return redirect(url_for("public.manage", token=token), code=303)
    db.session.commit()
    flash(
        _("Thank you. A moderator will review the correction; until then the list shows the name as it is."),
        "success",
    )
    return redirect(url_for("public.manage", token=token), code=303)
