"""Admin-only pages, under /moderation/admin: statements, block lists, reasons, accounts, export."""

import csv
import io
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from domain import RuleError
from domain.accounts import add_moderator
from domain.accounts import toggle_moderator as toggle_account
from domain.audit import record
from domain.editing import create_statement, diff_versions, update_statement
from domain.notifications import external_url
from domain.reasons import add_reason
from domain.reasons import toggle_reason as toggle_menu_reason
from domain.statements import text_in
from extensions import db
from forms import EmptyForm
from forms.admin import BlockedDomainForm, BlockedNetworkForm, ModeratorForm
from forms.moderation import ReasonForm
from forms.statements import StatementForm
from models import (
    BlockedEmailDomain,
    BlockedNetwork,
    Endorsement,
    Moderator,
    RejectionReason,
    Statement,
    StatementStatus,
)
from templating import render_markdown
from views import never_store, number_arg
from views.errors import EXPIRED_FORM
from views.exports import neutralise_formula
from views.statement_page import render_statement

bp = Blueprint("admin", __name__, url_prefix="/moderation/admin")
bp.after_request(never_store)


def admin_required(view):
    """Moderators decide endorsements; only admins change who and what is trusted."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return login_required(wrapped)


@bp.before_request
@admin_required
def require_admin():
    """Every page here is for admins."""


@bp.get("/blocklist")
def blocklist():
    return _render_blocklist(BlockedDomainForm(prefix="domain"), BlockedNetworkForm(prefix="network"))


def _render_blocklist(domain_form, network_form, status=200):
    page = render_template(
        "admin/blocklist.html",
        domains=db.session.scalars(sa.select(BlockedEmailDomain).order_by(BlockedEmailDomain.domain)).all(),
        networks=db.session.scalars(sa.select(BlockedNetwork).order_by(BlockedNetwork.cidr)).all(),
        domain_form=domain_form,
        network_form=network_form,
        remove_form=EmptyForm(),
    )
    return page, status


@bp.post("/blocklist/domains")
def add_blocked_domain():
    form = BlockedDomainForm(prefix="domain")
    if not form.validate_on_submit():
        return _render_blocklist(form, BlockedNetworkForm(prefix="network"), 422)
    return _add_block(BlockedEmailDomain(domain=form.domain.data, note=form.note.data), form.domain.data)


@bp.post("/blocklist/networks")
def add_blocked_network():
    form = BlockedNetworkForm(prefix="network")
    if not form.validate_on_submit():
        return _render_blocklist(BlockedDomainForm(prefix="domain"), form, 422)
    return _add_block(BlockedNetwork(cidr=form.cidr.data, note=form.note.data), form.cidr.data)


def _add_block(entry, label: str):
    db.session.add(entry)
    record("block", moderator=current_user, after={"blocked": label})
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        flash(_("%(blocked)s is already blocked.", blocked=label), "error")
    else:
        flash(
            _("Blocked %(blocked)s. New sign-ons that match go to the Suspected tab.", blocked=label),
            "success",
        )
    return redirect(url_for(".blocklist"))


@bp.post("/blocklist/<kind>/<int:entry_id>/remove")
def remove_block(kind: str, entry_id: int):
    model = {"domains": BlockedEmailDomain, "networks": BlockedNetwork}.get(kind) or abort(404)
    entry = db.get_or_404(model, entry_id)
    if EmptyForm().validate_on_submit():
        label = getattr(entry, "domain", None) or entry.cidr
        db.session.delete(entry)
        record("unblock", moderator=current_user, before={"blocked": label})
        db.session.commit()
        flash(_("Unblocked %(blocked)s.", blocked=label), "success")
    return redirect(url_for(".blocklist"))


@bp.route("/moderators", methods=["GET", "POST"])
def moderators():
    form = ModeratorForm()
    if form.validate_on_submit():
        try:
            moderator = add_moderator(form.email.data, form.role.data, form.password.data, current_user)
        except RuleError as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Added %(email)s.", email=moderator.email), "success")
            return redirect(url_for(".moderators"))
    accounts = db.session.scalars(sa.select(Moderator).order_by(Moderator.email)).all()
    return render_template("admin/moderators.html", form=form, accounts=accounts, toggle_form=EmptyForm())


@bp.post("/moderators/<int:moderator_id>/toggle")
def toggle_moderator(moderator_id: int):
    moderator = db.get_or_404(Moderator, moderator_id)
    if not EmptyForm().validate_on_submit():
        flash(str(EXPIRED_FORM), "error")
        return redirect(url_for(".moderators"))
    try:
        toggle_account(moderator, current_user)
    except RuleError as error:
        flash(str(error), "error")
        return redirect(url_for(".moderators"))
    db.session.commit()
    if moderator.active:
        flash(_("%(email)s can log in again.", email=moderator.email), "success")
    else:
        flash(_("%(email)s can no longer log in.", email=moderator.email), "success")
    return redirect(url_for(".moderators"))


@bp.get("/statements")
def statements():
    listed = db.session.scalars(sa.select(Statement).order_by(Statement.id.desc())).all()
    return render_template("admin/statements.html", statements=listed)


@bp.route("/statements/new", methods=["GET", "POST"])
def new_statement():
    form = StatementForm(status=StatementStatus.DRAFT)
    if form.validate_on_submit() and not form.preview.data:
        try:
            statement = create_statement(form.data, current_user)
            db.session.commit()
        except RuleError as error:
            db.session.rollback()
            form.slug.errors.append(str(error))
        else:
            flash(_("Created %(title)s.", title=statement.title), "success")
            return redirect(url_for(".edit_statement", statement_id=statement.id))
    return _render_statement_form(form, None)


@bp.route("/statements/<int:statement_id>/edit", methods=["GET", "POST"])
def edit_statement(statement_id: int):
    statement = db.get_or_404(Statement, statement_id)
    form = StatementForm(obj=statement)
    if form.validate_on_submit() and not form.preview.data:
        try:
            changed = update_statement(statement, form.data, current_user)
            db.session.commit()
        except RuleError as error:
            db.session.rollback()
            form.slug.errors.append(str(error))
        else:
            flash(_("Saved.") if changed else _("Nothing to change."), "success")
            return redirect(url_for(".edit_statement", statement_id=statement.id))
    return _render_statement_form(form, statement)


def _render_statement_form(form, statement):
    preview = render_markdown(form.body.data) if form.preview.data else None
    page = render_template(
        "admin/statement_form.html",
        form=form,
        statement=statement,
        preview=preview,
        embed_snippets=[(code, embed_snippet(statement, code)) for code in current_app.config["LANGUAGES"]]
        if statement
        else [],
    )
    return page, 422 if form.errors else 200


def embed_snippet(statement: Statement, language: str) -> str:
    """The <iframe> an organiser pastes into a partner's page: the count and a link, in one language.
    Plain text: the page shows it escaped, ready to copy."""
    snippet = Markup(
        '<iframe src="{}" title="{}" width="100%" height="190" style="border: 0"></iframe>'
    ).format(
        external_url("exports.embed", slug=statement.slug, lang=language),
        text_in(statement, language).title,
    )
    return str(snippet)


@bp.get("/statements/<int:statement_id>/versions")
def statement_versions(statement_id: int):
    """The text history; `?old=N&new=M` shows what changed between two versions."""
    statement = db.get_or_404(Statement, statement_id)
    old = number_arg("old") or max(statement.version - 1, 1)
    new = number_arg("new") or statement.version
    try:
        diff = diff_versions(statement, old, new)
    except RuleError as error:
        abort(404, str(error))
    counts = dict(
        db.session.execute(
            sa.select(Endorsement.statement_version, sa.func.count(Endorsement.id))
            .where(Endorsement.statement_id == statement.id)
            .group_by(Endorsement.statement_version)
        ).all()
    )
    return render_template(
        "admin/statement_versions.html", statement=statement, diff=diff, old=old, new=new, counts=counts
    )


@bp.get("/statements/<int:statement_id>/preview")
def preview_statement(statement_id: int):
    """How the public page looks, drafts included: drafts are visible to moderators only."""
    return render_statement(db.get_or_404(Statement, statement_id))


@bp.route("/reasons", methods=["GET", "POST"])
def reasons():
    form = ReasonForm()
    if form.validate_on_submit():
        add_reason(form.text.data, current_user)
        db.session.commit()
        flash(_("Reason added."), "success")
        return redirect(url_for(".reasons"))
    listed = db.session.scalars(sa.select(RejectionReason).order_by(RejectionReason.text)).all()
    return render_template("admin/reasons.html", form=form, reasons=listed, toggle_form=EmptyForm())


@bp.post("/reasons/<int:reason_id>/toggle")
def toggle_reason(reason_id: int):
    reason = db.get_or_404(RejectionReason, reason_id)
    if EmptyForm().validate_on_submit():
        toggle_menu_reason(reason, current_user)
        db.session.commit()
    else:
        flash(str(EXPIRED_FORM), "error")
    return redirect(url_for(".reasons"))


EXPORT_COLUMNS = (
    "id",
    "statement",
    "status",
    "position",
    "organisation",
    "organisation_km",
    "acronym",
    "location",
    "website",
    "anonymous",
    "contact_name",
    "email",
    "phone",
    "message",
    "authorised",
    "source",
    "language",
    "submitted_at",
    "confirmed_at",
    "decided_at",
    "rejection_reason",
)


@bp.get("/export.csv")
def export_all():
    """Every endorsement with its contact data, for admins only; each download is audited."""
    query = sa.select(Endorsement).order_by(Endorsement.statement_id, Endorsement.id)
    statement_id = number_arg("statement")
    if statement_id:
        query = query.where(Endorsement.statement_id == statement_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    rows = 0
    for endorsement in db.session.scalars(query):
        values = {name: getattr(endorsement, name, None) for name in EXPORT_COLUMNS}
        values["statement"] = endorsement.statement.slug
        writer.writerow([neutralise_formula(values[name]) for name in EXPORT_COLUMNS])
        rows += 1
    record("admin_export", moderator=current_user, after={"rows": rows, "statement_id": statement_id})
    db.session.commit()
    response = make_response("\ufeff" + out.getvalue())
    response.mimetype = "text/csv"
    response.headers.set(
        "Content-Disposition", "attachment", filename="jointly-endorsements-with-contacts.csv"
    )
    return response
