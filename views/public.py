"""The public site: statements, their lists, the sign-on form, and the endorser's own links."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from domain import RuleError
from domain.endorsements import SignonClosed, confirm, request_correction, submit, withdraw
from domain.spam import suspicion
from domain.tokens import CONFIRM, MANAGE, TokenProblem, read_token
from extensions import db, ip_hash, limiter
from forms import EmptyForm
from forms.signon import CorrectionForm, SignOnForm
from i18n import current_language, remember_language
from models import Endorsement, Statement, StatementStamp, StatementStatus
from templating import status_label
from views.auth import safe_next
from views.errors import render_error
from views.statement_page import render_statement, serve_statement_page

bp = Blueprint("public", __name__)


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
    """Per client address and per statement."""
    return f"sign:{ip_hash(request.remote_addr)}:{request.view_args.get('slug')}"


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
        submit(
            statement,
            {**form.data, "language": current_language()},
            suspicion=reason,
            ip_hash=ip_hash(request.remote_addr),
        )
    except SignonClosed:
        return render_statement(statement, form, status=409)
    db.session.commit()
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
    try:
        confirm(endorsement)
    except RuleError as refused:
        return render_error(409, str(refused))
    db.session.commit()
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


def _refuse_change(endorsement: Endorsement, message: str, token: str):
    """The endorsement has moved on (withdrawn, rejected): say so on the personal page."""
    flash(message % {"status": status_label(endorsement.status)}, "error")
    return redirect(url_for("public.manage", token=token))


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
def correct_endorsement(token: str):
    endorsement = endorsement_from_token(token, MANAGE)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _render_manage(endorsement, form, status=422)
    try:
        request_correction(endorsement, form.data, note=form.note.data)
    except RuleError:
        return _refuse_change(
            endorsement, _("This endorsement is %(status)s; it can no longer be changed."), token
        )
    db.session.commit()
    flash(_("Thank you. The corrected name goes back to the moderators for review."), "success")
    return redirect(url_for("public.manage", token=token), code=303)
