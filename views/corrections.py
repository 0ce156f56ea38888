"""Moderation of the name corrections endorsers ask for: old and new side by side, accept or decline."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from domain import RuleError, commit_or_refuse_duplicate
from domain.corrections import accept_correction, decline_correction
from extensions import db
from forms import EmptyForm
from forms.moderation import DeclineCorrectionForm
from models import NameCorrection
from views.auth import safe_next
from views.errors import EXPIRED_FORM

bp = Blueprint("corrections", __name__, url_prefix="/moderation/corrections")


@bp.before_request
@login_required
def require_login():
    """Every page here is for logged-in moderators only."""


@bp.get("/")
def index():
    page = db.paginate(NameCorrection.select_waiting(), per_page=50, error_out=False)
    return render_template(
        "moderation/corrections.html",
        page=page,
        accept_form=EmptyForm(),
        decline_form=DeclineCorrectionForm(),
    )


def _back() -> str:
    return safe_next(request.form.get("next_url"), default=url_for(".index"))


@bp.post("/<int:correction_id>/accept")
def accept(correction_id: int):
    correction = db.get_or_404(NameCorrection, correction_id)
    if not EmptyForm().validate_on_submit():
        flash(str(EXPIRED_FORM), "error")
        return redirect(_back())
    try:
        accept_correction(correction, current_user)
        commit_or_refuse_duplicate()
    except RuleError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(_back())
    flash(
        _("Correction accepted: the list now shows %(name)s.", name=correction.endorsement.display_name),
        "success",
    )
    return redirect(_back())


@bp.post("/<int:correction_id>/decline")
def decline(correction_id: int):
    correction = db.get_or_404(NameCorrection, correction_id)
    form = DeclineCorrectionForm()
    if not form.validate_on_submit():
        flash(
            _("Nothing was changed: %(problem)s", problem="; ".join(sum(form.errors.values(), []))), "error"
        )
        return redirect(_back())
    try:
        decline_correction(correction, current_user, form.reason.data)
    except RuleError as error:
        flash(str(error), "error")
        return redirect(_back())
    db.session.commit()
    flash(
        _("Correction declined: the name stays %(name)s.", name=correction.endorsement.display_name),
        "success",
    )
    return redirect(_back())
