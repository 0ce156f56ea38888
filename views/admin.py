"""Admin-only pages, under /moderation/admin: block lists and moderator accounts."""

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from domain.audit import record
from extensions import db
from forms import EmptyForm
from forms.admin import BlockedDomainForm, BlockedNetworkForm, ModeratorForm
from models import BlockedEmailDomain, BlockedNetwork, Moderator

bp = Blueprint("admin", __name__, url_prefix="/moderation/admin")


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
        flash(f"{label} is already blocked.", "error")
    else:
        flash(f"Blocked {label}. New sign-ons that match go to the Suspected tab.", "success")
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
        flash(f"Unblocked {label}.", "success")
    return redirect(url_for(".blocklist"))


@bp.route("/moderators", methods=["GET", "POST"])
def moderators():
    form = ModeratorForm()
    if form.validate_on_submit():
        if db.session.scalar(Moderator.select_by_email(form.email.data)):
            form.email.errors.append("There is already an account with this email.")
        else:
            moderator = Moderator(email=form.email.data.lower(), role=form.role.data, active=True)
            moderator.set_password(form.password.data)
            db.session.add(moderator)
            record(
                "add_moderator",
                moderator=current_user,
                after={"email": moderator.email, "role": moderator.role},
            )
            db.session.commit()
            flash(f"Added {moderator.email}.", "success")
            return redirect(url_for(".moderators"))
    accounts = db.session.scalars(sa.select(Moderator).order_by(Moderator.email)).all()
    return render_template("admin/moderators.html", form=form, accounts=accounts, toggle_form=EmptyForm())


@bp.post("/moderators/<int:moderator_id>/toggle")
def toggle_moderator(moderator_id: int):
    """Deactivate (or reactivate) an account; nobody can lock themselves out."""
    moderator = db.get_or_404(Moderator, moderator_id)
    if EmptyForm().validate_on_submit() and moderator.id != current_user.id:
        moderator.active = not moderator.active
        record(
            "moderator_active" if moderator.active else "moderator_inactive",
            moderator=current_user,
            after={"email": moderator.email},
        )
        db.session.commit()
        flash(f"{moderator.email} is now {'active' if moderator.active else 'inactive'}.", "success")
    return redirect(url_for(".moderators"))
