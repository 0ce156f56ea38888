"""The public site: statements, their lists, and the sign-on form."""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for

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
from domain.tokens import CONFIRM, MANAGE, TokenProblem, read_token
from extensions import db
from forms import EmptyForm
from forms.signon import CorrectionForm, SignOnForm
from models import Endorsement, Statement, StatementStatus
from views.errors import render_error
from views.rendering import render_markdown

bp = Blueprint("public", __name__)


def get_public_statement_or_404(slug: str) -> Statement:
    statement = db.session.scalar(Statement.select_by_slug(slug))
    if statement is None or not statement.is_public:
        abort(404)
    return statement


def render_statement(statement: Statement, form: SignOnForm | None = None, status: int = 200):
    endorsers = db.session.scalars(Endorsement.select_public(statement.id)).all()
    page = render_template(
        "public/statement.html",
        statement=statement,
        body_html=render_markdown(statement.body),
        endorsers=endorsers,
        form=form or SignOnForm(),
        accepts_signons=statement.accepts_signons(),
    )
    return page, status


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


@bp.post("/statements/<slug>/sign")
def sign(slug: str):
    statement = get_public_statement_or_404(slug)
    form = SignOnForm()
    if not statement.accepts_signons():
        return render_statement(statement, form, status=409)
    if not form.validate_on_submit():
        return render_statement(statement, form, status=422)
    try:
        endorsement, created = submit(statement, form.data)
    except SignonClosed:
        return render_statement(statement, form, status=409)
    if created:
        notify_endorser_to_confirm(endorsement)
    else:
        notify_endorser_of_repeat_signon(endorsement)
    db.session.commit()
    after_commit()
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
