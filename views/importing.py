"""The admin page that imports a spreadsheet of endorsements: upload → preview → import.

The parsed file travels signed in the preview's hidden field (`domain.spreadsheet.seal`), so
the server keeps no copy of it between the steps.
"""

from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from domain import RuleError
from domain.import_columns import FIELDS, SUBMITTED_AT, mapping_from_choices, recognise
from domain.importing import ImportOptions, import_endorsements
from domain.spreadsheet import read_spreadsheet, seal, unseal
from extensions import db
from forms.importing import ImportPreviewForm, ImportRowForm, ImportUploadForm
from models import Statement
from views.admin import admin_required

bp = Blueprint("importing", __name__, url_prefix="/moderation/admin/import")
PREVIEW_ROWS = 10
SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "endorsements-sample.csv"


@bp.before_request
@admin_required
def require_admin():
    """Importing a list is for admins."""


def _owner() -> str:
    """Whose preview it is: the admin, in this generation of their sessions."""
    return f"{current_user.id}:{current_user.session_generation}"


@bp.route("/", methods=["GET", "POST"])
def upload():
    form = ImportUploadForm()
    form.offer(db.session.scalars(sa.select(Statement).order_by(Statement.id.desc())))
    if form.validate_on_submit():
        upload = form.spreadsheet.data
        try:
            sheet = read_spreadsheet(upload.read(), upload.filename or "upload.csv")
        except RuleError as error:
            form.spreadsheet.errors.append(str(error))
        else:
            statement = db.get_or_404(Statement, form.statement_id.data)
            token = seal(sheet, _owner(), statement.id)
            if len(token) > _largest_field():
                form.spreadsheet.errors.append(_too_large())
            else:
                preview_form = ImportPreviewForm(formdata=None, sheet=token)
                return _preview(statement, sheet, preview_form, recognise(sheet.headers))
    return render_template("admin/import.html", form=form), 422 if form.errors else 200


@bp.get("/sample.csv")
def sample():
    """The sample in docs/, for a coalition to fill in."""
    response = make_response(SAMPLE.read_bytes())
    response.mimetype = "text/csv"
    response.headers.set("Content-Disposition", "attachment", filename=SAMPLE.name)
    return response


def _largest_field() -> int:
    """The preview's hidden field must fit in a form field the next request will accept."""
    return (current_app.config.get("MAX_FORM_MEMORY_SIZE") or 10**9) - 10_000


def _too_large() -> str:
    return _(
        "This file is too large to import from this page. "
        "Split it, or use the command: flask --app app endorsements import."
    )


@bp.post("/preview")
def preview():
    """Show the preview again with other choices, or import."""
    form = ImportPreviewForm()
    try:
        statement_id, sheet = unseal(form.sheet.data, _owner())
    except RuleError as error:
        flash(str(error), "error")
        return redirect(url_for(".upload"))
    statement = db.get_or_404(Statement, statement_id)
    form.set_columns(sheet.headers, target_choices(), {})
    if not form.validate_on_submit():
        return _preview(statement, sheet, form, None, status=422)
    try:
        mapping = mapping_from_choices([select.data for select in form.columns][: len(sheet.headers)])
    except RuleError as error:
        return _preview(statement, sheet, form, None, status=422, error=str(error))
    if form.submit.data:
        return _import(statement, sheet, form, mapping)
    return _preview(statement, sheet, form, mapping)


def _options(form: ImportPreviewForm) -> ImportOptions:
    return ImportOptions(
        form.date_order.data or "auto", form.time_zone.data or "UTC", form.ask_to_confirm.data
    )


def _import(statement: Statement, sheet, form: ImportPreviewForm, mapping: dict[str, int]):
    try:
        report = import_endorsements(statement, sheet, mapping, _options(form), moderator=current_user)
    except RuleError as error:
        db.session.rollback()
        return _preview(statement, sheet, form, mapping, status=422, error=str(error))
    if report.problems:
        db.session.rollback()
        return _preview(statement, sheet, form, mapping, status=422)
    db.session.commit()
    flash(
        _(
            "Imported from %(file)s: %(added)d new, %(skipped)d already there, "
            "%(mails)d asked to confirm by mail.",
            file=report.file,
            added=len(report.added),
            skipped=len(report.skipped),
            mails=report.mails,
        ),
        "success",
    )
    show = "unconfirmed" if form.ask_to_confirm.data else "pending"
    return redirect(url_for("moderation.queue", statement=statement.id, show=show))


def _preview(statement, sheet, form, mapping, status=200, error=None):
    """What the import would do with these choices: a dry run, never stored."""
    report = None
    if mapping is not None and error is None:
        try:
            report = import_endorsements(statement, sheet, mapping, _options(form), dry_run=True)
        except RuleError as refused:
            error = str(refused)
        form.set_columns(sheet.headers, target_choices(), {index: name for name, index in mapping.items()})
    page = render_template(
        "admin/import_preview.html",
        statement=statement,
        sheet=sheet,
        form=form,
        report=report,
        error=error,
        rows=(report.added[:PREVIEW_ROWS] if report else []),
        labels={choice.value: choice.label for choice in target_choices()},
    )
    response = make_response(page, 422 if error or (report and report.problems) else status)
    # The page holds contact data: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


def target_choices() -> list[SelectChoice]:
    """'Not imported', then the fields a column can fill, named as the sign-on form names them."""
    row = ImportRowForm(formdata=None, meta={"csrf": False})
    return [
        SelectChoice("", _("— not imported —")),
        SelectChoice(SUBMITTED_AT, _("Time of sign-on")),
        *(SelectChoice(name, str(row[name].label.text)) for name in FIELDS),
    ]
