"""The public site: statements, their lists, and the sign-on form."""

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
from domain.tokens import CONFIRM, MANAGE, TokenProblem, read_token
from extensions import db, limiter
from forms import EmptyForm
from forms.signon import CorrectionForm, SignOnForm
from models import Endorsement, Statement, StatementStatus
from views.errors import render_error
from views.page_cache import endorser_list, page_etag, statement_body

bp = Blueprint("public", __name__)


def get_public_statement_or_404(slug: str) -> Statement:
    statement = db.session.scalar(Statement.select_by_slug(slug))
    if statement is None or not statement.is_public:
        abort(404)
    return statement


def render_statement(statement: Statement, form: SignOnForm | None = None, status: int = 200):
    """The statement page; a reader who already has this version gets a 304."""
    accepts_signons = statement.accepts_signons()
    conditional = form is None and "_flashes" not in session
    if conditional and page_etag(statement, accepts_signons) in request.if_none_match:
        return _with_validators(make_response("", 304), statement, accepts_signons)
    form = form or SignOnForm()
    form.shown_at.data = form_timer()
    list_html, named, unnamed = endorser_list(statement)
    page = render_template(
        "public/statement.html",
        statement=statement,
        body_html=statement_body(statement),
        list_html=list_html,
        count=named + unnamed,
        form=form,
        accepts_signons=accepts_signons,
    )
    response = make_response(page, status)
    return _with_validators(response, statement, accepts_signons) if conditional else response


def _with_validators(response, statement: Statement, accepts_signons: bool):
    """The page carries the reader's CSRF token: cacheable by their browser only, revalidated."""
    response.set_etag(page_etag(statement, accepts_signons))
    response.last_modified = statement.updated_at
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
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
    return render_statement(get_public_statement_or_404(slug))


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
            statement, form.data, suspicion=reason, ip_hash=ip_hash(request.remote_addr)
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
        abort(make_response(render_error(404, "This endorsement no longer exists.")))
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
    except RuleError as error:
        flash(str(error), "error")
        return redirect(url_for("public.manage", token=token))
    notify_endorser_that_endorsement_is_withdrawn(endorsement)
    notify_moderators_of_withdrawal(endorsement)
    db.session.commit()
    after_commit()
    flash("Your endorsement is withdrawn. It no longer appears in the list.", "success")
    return redirect(url_for("public.manage", token=token), code=303)


@bp.post("/manage/<token>/correct")
def correct_endorsement(token: str):
    endorsement = endorsement_from_token(token, MANAGE)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _render_manage(endorsement, form, status=422)
    try:
        request_correction(endorsement, form.data, note=form.note.data)
    except RuleError as error:
        flash(str(error), "error")
        return redirect(url_for("public.manage", token=token))
    notify_moderators_of_correction(endorsement)
    db.session.commit()
    after_commit()
    flash("Thank you. The corrected name goes back to the moderators for review.", "success")
    return redirect(url_for("public.manage", token=token), code=303)
