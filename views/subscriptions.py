"""The endorser's choice about a statement's news: on their personal page, and the unsubscribe
link of every update mail (RFC 8058 one-click included)."""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from domain.tokens import MANAGE, UNSUBSCRIBE
from domain.updates import choose_updates, unsubscribe
from extensions import csrf, db
from forms import EmptyForm
from forms.updates import UpdatesChoiceForm
from templating import status_label
from views.public import endorsement_from_token

bp = Blueprint("subscriptions", __name__)


def _unsubscribe_page(endorsement, done: bool):
    page = render_template("public/unsubscribe.html", endorsement=endorsement, form=EmptyForm(), done=done)
    response = make_response(page)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str):
    """Only shows a button: mail scanners open links, and opening one must change nothing."""
    return _unsubscribe_page(endorsement_from_token(token, UNSUBSCRIBE), done=False)


@bp.post("/unsubscribe/<token>", endpoint="unsubscribe")
@csrf.exempt
def unsubscribe_now(token: str):
    """The page's button sends its CSRF token like every form. A mail provider's one-click POST
    (RFC 8058: the body `List-Unsubscribe=One-Click`, sent from its servers with no cookie and
    no token) is taken without one: the signed token in the address is the authority, and it
    can do nothing but stop these mails."""
    endorsement = endorsement_from_token(token, UNSUBSCRIBE)
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    if not one_click and not EmptyForm().validate_on_submit():
        abort(400)
    unsubscribe(endorsement)
    db.session.commit()
    return _unsubscribe_page(endorsement, done=True)


@bp.post("/manage/<token>/updates")
def choose(token: str):
    endorsement = endorsement_from_token(token, MANAGE)
    form = UpdatesChoiceForm()
    if not form.validate_on_submit():
        abort(400)
    if not endorsement.is_standing:
        message = _("This endorsement is %(status)s; it can no longer be changed.")
        flash(message % {"status": status_label(endorsement.status)}, "error")
        return redirect(url_for("public.manage", token=token), code=303)
    choose_updates(endorsement, form.updates.data)
    db.session.commit()
    if form.updates.data:
        flash(_("Thank you. We will send you news about this statement."), "success")
    else:
        flash(_("We will not send you news about this statement."), "success")
    return redirect(url_for("public.manage", token=token), code=303)
