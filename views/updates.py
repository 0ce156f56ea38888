"""Admins write a statement update, preview it with its recipients, send it once and watch it go
out: /moderation/admin/updates (the rules are in `domain.updates`)."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from domain import RuleError
from domain.statements import languages_of
from domain.updates import audience, progress, save_update, send_update
from extensions import db
from forms import EmptyForm
from forms.updates import form_data, update_form
from models import Statement, StatementUpdate
from templating import render_markdown
from views.admin import admin_required
from views.errors import EXPIRED_FORM

bp = Blueprint("updates", __name__, url_prefix="/moderation/admin/updates")


@bp.before_request
@admin_required
def require_admin():
    """Only admins write to endorsers."""


@bp.get("/")
def index():
    statements = db.session.scalars(sa.select(Statement).order_by(Statement.id.desc())).all()
    updates = db.session.scalars(StatementUpdate.select_recent()).all()
    return render_template("admin/updates.html", statements=statements, updates=updates)


@bp.route("/new/<int:statement_id>", methods=["GET", "POST"])
def new(statement_id: int):
    statement = db.get_or_404(Statement, statement_id)
    return _save(update_form(statement), statement, None)


@bp.route("/<int:update_id>/edit", methods=["GET", "POST"])
def edit(update_id: int):
    update = db.get_or_404(StatementUpdate, update_id)
    if update.is_sent:
        flash(_("This update has already been sent; an update is sent only once."), "error")
        return redirect(url_for(".show", update_id=update.id))
    return _save(update_form(update.statement, data=form_data(update.texts)), update.statement, update)


def _save(form, statement: Statement, update: StatementUpdate | None):
    """Validate → save → to the preview; or the form again with what was typed and why not."""
    if form.validate_on_submit():
        try:
            update = save_update(statement, form.texts(), current_user, update)
        except RuleError as refused:
            db.session.rollback()
            flash(str(refused), "error")
        else:
            db.session.commit()
            flash(_("Saved. Check the preview and the recipients, then send it."), "success")
            return redirect(url_for(".show", update_id=update.id), code=303)
    page = render_template("admin/update_form.html", form=form, statement=statement, update=update)
    return page, 422 if form.errors else 200


@bp.get("/<int:update_id>")
def show(update_id: int):
    """The preview and the recipients before sending; the progress after."""
    update = db.get_or_404(StatementUpdate, update_id)
    languages = [code for code in languages_of(update.statement) if code in update.texts]
    return render_template(
        "admin/update.html",
        update=update,
        texts=[(code, update.texts[code], render_markdown(update.texts[code]["body"])) for code in languages],
        audience=None if update.is_sent else audience(update),
        progress=progress(update) if update.is_sent else None,
        send_form=EmptyForm(),
    )


@bp.post("/<int:update_id>/send")
def send(update_id: int):
    update = db.get_or_404(StatementUpdate, update_id)
    if not EmptyForm().validate_on_submit():
        flash(str(EXPIRED_FORM), "error")
        return redirect(url_for(".show", update_id=update.id), code=303)
    try:
        count = send_update(update, current_user)
    except RuleError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for(".show", update_id=update_id), code=303)
    db.session.commit()
    flash(
        ngettext(
            "Sending to %(num)d endorser. The mails leave at the pace set for the site.",
            "Sending to %(num)d endorsers. The mails leave at the pace set for the site.",
            count,
        ),
        "success",
    )
    return redirect(url_for(".show", update_id=update.id), code=303)
