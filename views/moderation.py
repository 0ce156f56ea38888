"""Moderation: the pending queue and the decisions on each endorsement."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from domain import RuleError
from domain.endorsements import approve, commit_decision, edit_public_fields, reject
from extensions import db
from forms import EmptyForm
from forms.moderation import EditDisplayForm, RejectForm
from models import Endorsement, EndorsementStatus, Statement

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


@bp.before_request
@login_required
def require_login():
    """Every moderation page is for logged-in moderators only."""


def _pending_counts() -> list[tuple[Statement, int]]:
    query = (
        sa.select(Statement, sa.func.count(Endorsement.id))
        .join(Endorsement, Endorsement.statement_id == Statement.id)
        .where(Endorsement.status == EndorsementStatus.PENDING)
        .group_by(Statement.id)
        .order_by(Statement.id)
    )
    return db.session.execute(query).all()


@bp.get("/")
def queue():
    statement_id = request.args.get("statement", type=int)
    page = db.paginate(Endorsement.select_pending(statement_id), per_page=50, error_out=False)
    return render_template(
        "moderation/queue.html",
        page=page,
        counts=_pending_counts(),
        statement_id=statement_id,
        action_form=EmptyForm(),
        reject_form=RejectForm(),
    )


@bp.get("/endorsements")
def endorsements():
    """Every endorsement of a statement, by status: to find and correct approved ones."""
    status = request.args.get("status", EndorsementStatus.APPROVED)
    if status not in EndorsementStatus.ALL:
        status = EndorsementStatus.APPROVED
    query = sa.select(Endorsement).where(Endorsement.status == status)
    statement_id = request.args.get("statement", type=int)
    if statement_id:
        query = query.where(Endorsement.statement_id == statement_id)
    order = Endorsement.position if status == EndorsementStatus.APPROVED else Endorsement.id
    page = db.paginate(query.order_by(order), per_page=100, error_out=False)
    statements = db.session.scalars(sa.select(Statement).order_by(Statement.id)).all()
    return render_template(
        "moderation/endorsements.html",
        page=page,
        status=status,
        statuses=EndorsementStatus.ALL,
        statements=statements,
        statement_id=statement_id,
    )


@bp.get("/endorsements/<int:endorsement_id>")
def detail(endorsement_id: int):
    endorsement = db.get_or_404(Endorsement, endorsement_id)
    return _render_detail(endorsement, EditDisplayForm(obj=endorsement))


def _render_detail(endorsement, edit_form, status=200):
    next_pending = db.session.scalars(
        Endorsement.select_pending().where(Endorsement.id != endorsement.id).limit(1)
    ).first()
    page = render_template(
        "moderation/detail.html",
        endorsement=endorsement,
        edit_form=edit_form,
        action_form=EmptyForm(),
        reject_form=RejectForm(),
        next_pending=next_pending,
    )
    return page, status


def _decide(endorsement_id: int, decision, form, success: str):
    """Run one decision through the domain rule, commit it, and say how it went."""
    endorsement = db.get_or_404(Endorsement, endorsement_id)
    if not form.validate_on_submit():
        flash("That form was incomplete; nothing was changed.", "error")
        return redirect(url_for(".detail", endorsement_id=endorsement_id))
    try:
        decision(endorsement)
        commit_decision()
    except RuleError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".detail", endorsement_id=endorsement_id))
    flash(success.format(name=endorsement.display_name), "success")
    return redirect(
        request.form.get("next_url") if _is_local(request.form.get("next_url")) else url_for(".queue")
    )


def _is_local(url: str | None) -> bool:
    return bool(url) and url.startswith("/") and not url.startswith("//") and "\\" not in url


@bp.post("/endorsements/<int:endorsement_id>/approve")
def approve_endorsement(endorsement_id: int):
    return _decide(endorsement_id, lambda e: approve(e, current_user), EmptyForm(), "Approved: {name}.")


@bp.post("/endorsements/<int:endorsement_id>/reject")
def reject_endorsement(endorsement_id: int):
    form = RejectForm()
    return _decide(
        endorsement_id,
        lambda e: reject(e, current_user, form.reason.data),
        form,
        "Rejected: {name}.",
    )


@bp.post("/endorsements/<int:endorsement_id>/edit")
def edit_endorsement(endorsement_id: int):
    endorsement = db.get_or_404(Endorsement, endorsement_id)
    form = EditDisplayForm()
    if not form.validate_on_submit():
        return _render_detail(endorsement, form, status=422)
    try:
        changed = edit_public_fields(endorsement, current_user, form.data)
        commit_decision()
    except RuleError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".detail", endorsement_id=endorsement_id))
    flash("Display name saved." if changed else "Nothing to change.", "success")
    return redirect(url_for(".detail", endorsement_id=endorsement_id))
