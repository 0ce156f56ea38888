"""Moderation: the pending queue and the decisions on each endorsement."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from domain import RuleError, commit_or_refuse_duplicate
from domain.duplicates import possible_duplicates
from domain.endorsements import (
    add_note,
    add_received,
    approve,
    approve_many,
    edit_public_fields,
    reject,
    reject_many,
)
from domain.outbox import deliver_due
from extensions import db
from forms import EmptyForm
from forms.moderation import (
    BulkForm,
    DeclineCorrectionForm,
    EditDisplayForm,
    NoteForm,
    NotificationSettingsForm,
    ReceivedEndorsementForm,
    RejectForm,
)
from models import (
    QUEUE_STATUSES,
    Endorsement,
    EndorsementStatus,
    NameCorrection,
    OutboxMail,
    RejectionReason,
    Statement,
)
from views import never_store, number_arg, page_arg
from views.auth import safe_next
from views.errors import EXPIRED_FORM

bp = Blueprint("moderation", __name__, url_prefix="/moderation")
bp.after_request(never_store)


@bp.before_request
@login_required
def require_login():
    """Every moderation page is for logged-in moderators only."""


def _queue_counts(status: str) -> list[tuple[Statement, int]]:
    """Entries waiting per statement: one indexed count each (a grouped join read every row)."""
    counts = []
    for statement in db.session.scalars(sa.select(Statement).order_by(Statement.id)):
        count = db.session.scalar(Endorsement.count_by_status(status, statement.id))
        if count:
            counts.append((statement, count))
    return counts


@bp.get("/")
def queue():
    """Confirmed entries by default; `?show=unconfirmed` or `?show=suspected` for the other tabs."""
    statement_id = number_arg("statement")
    show = (
        request.args.get("show") if request.args.get("show") in QUEUE_STATUSES else EndorsementStatus.PENDING
    )
    query = _matching(Endorsement.select_by_status(show, statement_id), request.args.get("q"))
    page = db.paginate(query, page=page_arg(50), per_page=50, error_out=False)
    return render_template(
        "moderation/queue.html",
        page=page,
        show=show,
        duplicates=possible_duplicates(page.items),
        counts=_queue_counts(show),
        unconfirmed_total=db.session.scalar(Endorsement.count_by_status(EndorsementStatus.UNCONFIRMED)),
        suspected_total=db.session.scalar(Endorsement.count_by_status(EndorsementStatus.SUSPECTED)),
        corrections_total=db.session.scalar(NameCorrection.count_waiting()),
        failed_mails=db.session.scalar(OutboxMail.count_failed()),
        statement_id=statement_id,
        q=request.args.get("q", ""),
        action_form=EmptyForm(),
        reject_form=RejectForm(reasons=_reasons()),
        bulk_form=BulkForm(reasons=_reasons()),
    )


def _reasons() -> list[RejectionReason]:
    return db.session.scalars(RejectionReason.select_active()).all()


def _matching(query: sa.Select, text: str | None) -> sa.Select:
    """Narrow a listing to entries whose name, acronym, contact or email contain `text`."""
    if not text or not text.strip():
        return query
    pattern = f"%{text.strip()[:100]}%"
    fields = (
        Endorsement.organisation,
        Endorsement.acronym,
        Endorsement.contact_name,
        Endorsement.email,
        Endorsement.location,
    )
    return query.where(sa.or_(*(field.ilike(pattern) for field in fields)))


@bp.get("/endorsements")
def endorsements():
    """Every endorsement of a statement, by status: to find and correct approved ones."""
    status = request.args.get("status", EndorsementStatus.APPROVED)
    if status not in set(EndorsementStatus):
        status = EndorsementStatus.APPROVED
    query = _matching(sa.select(Endorsement).where(Endorsement.status == status), request.args.get("q"))
    statement_id = number_arg("statement")
    if statement_id:
        query = query.where(Endorsement.statement_id == statement_id)
    order = Endorsement.position if status == EndorsementStatus.APPROVED else Endorsement.id
    page = db.paginate(query.order_by(order), page=page_arg(100), per_page=100, error_out=False)
    statements = db.session.scalars(sa.select(Statement).order_by(Statement.id)).all()
    return render_template(
        "moderation/endorsements.html",
        page=page,
        status=status,
        statuses=list(EndorsementStatus),
        statements=statements,
        statement_id=statement_id,
        q=request.args.get("q", ""),
        bulk_form=BulkForm(reasons=_reasons()),
    )


@bp.get("/endorsements/<int:endorsement_id>")
def detail(endorsement_id: int):
    endorsement = db.get_or_404(Endorsement, endorsement_id)
    return _render_detail(endorsement, EditDisplayForm(obj=endorsement))


def _render_detail(endorsement, edit_form, status=200):
    next_pending = db.session.scalars(
        Endorsement.select_by_status(EndorsementStatus.PENDING)
        .where(Endorsement.id != endorsement.id)
        .limit(1)
    ).first()
    mails = db.session.scalars(OutboxMail.select_recent().where(OutboxMail.endorsement_id == endorsement.id))
    page = render_template(
        "moderation/detail.html",
        endorsement=endorsement,
        duplicates=possible_duplicates([endorsement]).get(endorsement.id, []),
        edit_form=edit_form,
        action_form=EmptyForm(),
        reject_form=RejectForm(reasons=_reasons()),
        note_form=NoteForm(),
        decline_form=DeclineCorrectionForm(),
        next_pending=next_pending,
        mails=mails.all(),
    )
    return page, status


def _decide(endorsement_id: int, decision, form, success):
    """Run one decision through the domain rule, commit it, and say how it went.

    `success` is a lazy message with a %(name)s placeholder.
    """
    endorsement = db.get_or_404(Endorsement, endorsement_id)
    if not form.validate_on_submit():
        flash(_("Nothing was changed: %(problem)s", problem=_first_problem(form)), "error")
        return redirect(url_for(".detail", endorsement_id=endorsement_id))
    try:
        decision(endorsement)
        commit_or_refuse_duplicate()
    except RuleError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".detail", endorsement_id=endorsement_id))
    flash(str(success) % {"name": endorsement.display_name}, "success")
    return redirect(safe_next(request.form.get("next_url")))


def _first_problem(form) -> str:
    """The first field error, named, so the moderator knows what to fix."""
    if form.csrf_token.errors:
        return str(EXPIRED_FORM)
    for field in form:
        if field.errors:
            return f"{field.label.text}: {field.errors[0]}"
    return _("the form was incomplete.")


@bp.post("/endorsements/<int:endorsement_id>/approve")
def approve_endorsement(endorsement_id: int):
    return _decide(
        endorsement_id,
        lambda endorsement: approve(endorsement, current_user),
        EmptyForm(),
        _l("Approved: %(name)s."),
    )


@bp.post("/endorsements/<int:endorsement_id>/reject")
def reject_endorsement(endorsement_id: int):
    form = RejectForm()

    def decision(endorsement):
        reject(endorsement, current_user, form.full_reason(), tell_endorser=form.notify.data)

    return _decide(endorsement_id, decision, form, _l("Rejected: %(name)s."))


@bp.post("/bulk")
def bulk():
    """Approve or reject every selected entry in one request; each gets its own audit event."""
    form = BulkForm(reasons=_reasons())
    if not form.validate_on_submit():
        flash(_("Nothing was changed: %(problem)s", problem=_first_problem(form)), "error")
        return redirect(safe_next(request.form.get("next_url")))
    if not form.ids.data:
        flash(_("Select at least one endorsement first; nothing was changed."), "error")
        return redirect(safe_next(request.form.get("next_url")))
    if form.action.data == "approve":
        done, refused = approve_many(form.ids.data, current_user)
    else:
        done, refused = reject_many(
            form.ids.data, current_user, form.full_reason(), tell_endorser=form.notify.data
        )
    db.session.commit()
    _flash_bulk_outcome(form.action.data, done, refused)
    return redirect(safe_next(request.form.get("next_url")))


def _flash_bulk_outcome(action: str, done: list, refused: list[str]) -> None:
    if action == "approve":
        message = ngettext("Approved %(num)d endorsement.", "Approved %(num)d endorsements.", len(done))
    else:
        message = ngettext("Rejected %(num)d endorsement.", "Rejected %(num)d endorsements.", len(done))
    flash(message, "success")
    if refused:
        problems = ngettext(
            "%(num)d endorsement left unchanged: %(why)s",
            "%(num)d endorsements left unchanged: %(why)s",
            len(refused),
            why="; ".join(refused[:10]),
        )
        flash(problems, "error")


@bp.post("/endorsements/<int:endorsement_id>/notes")
def add_endorsement_note(endorsement_id: int):
    endorsement = db.get_or_404(Endorsement, endorsement_id)
    form = NoteForm()
    if form.validate_on_submit():
        add_note(endorsement, current_user, form.body.data)
        db.session.commit()
        flash(_("Note added."), "success")
    else:
        flash(_("The note was empty or too long; nothing was added."), "error")
    return redirect(url_for(".detail", endorsement_id=endorsement_id))


@bp.route("/endorsements/new", methods=["GET", "POST"])
def add_endorsement():
    """Type in an endorsement received by phone, paper or in a meeting; it joins the queue."""
    form = ReceivedEndorsementForm()
    form.offer(db.session.scalars(sa.select(Statement).order_by(Statement.id.desc())))
    if form.validate_on_submit():
        statement = db.get_or_404(Statement, form.statement_id.data)
        try:
            endorsement = add_received(statement, form.data, form.source.data, current_user)
            db.session.commit()
        except RuleError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(_("Added %(name)s to the queue.", name=endorsement.display_name), "success")
            return redirect(url_for(".detail", endorsement_id=endorsement.id))
    return render_template("moderation/add.html", form=form), 422 if form.errors else 200


@bp.post("/endorsements/<int:endorsement_id>/edit")
def edit_endorsement(endorsement_id: int):
    endorsement = db.get_or_404(Endorsement, endorsement_id)
    form = EditDisplayForm()
    if not form.validate_on_submit():
        return _render_detail(endorsement, form, status=422)
    try:
        changed = edit_public_fields(endorsement, current_user, form.data)
        commit_or_refuse_duplicate()
    except RuleError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".detail", endorsement_id=endorsement_id))
    flash(_("Display name saved.") if changed else _("Nothing to change."), "success")
    return redirect(url_for(".detail", endorsement_id=endorsement_id))


@bp.get("/outbox")
def outbox():
    """Every mail, newest first: with no MAIL_SERVER this is where a newcomer reads them."""
    page = db.paginate(OutboxMail.select_recent(), page=page_arg(50), per_page=50, error_out=False)
    return render_template("moderation/outbox.html", page=page, send_form=EmptyForm())


@bp.post("/outbox/send")
def send_outbox():
    if EmptyForm().validate_on_submit():
        sent, failed = deliver_due(retry_now=True)
        message = _("Mails sent: %(sent)d. Failed: %(failed)d.", sent=sent, failed=failed)
        flash(message, "error" if failed else "success")
    return redirect(url_for(".outbox"))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = NotificationSettingsForm(obj=current_user)
    if form.validate_on_submit():
        current_user.notify_new_endorsements = form.notify_new_endorsements.data
        db.session.commit()
        flash(_("Settings saved."), "success")
        return redirect(url_for(".settings"))
    return render_template("moderation/settings.html", form=form)
