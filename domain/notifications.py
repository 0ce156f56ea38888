"""Every mail Jointly sends, named by recipient and event; each goes into the outbox
in the caller's transaction and is delivered after the commit.

A mail to an endorser is written in the language they signed in, whatever the language
of the request that causes it (a moderator's approval, say); moderators get theirs in
DEFAULT_LANGUAGE."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from domain.tokens import CONFIRM, MANAGE, make_token
from extensions import db
from models import Endorsement, Moderator, OutboxMail


def external_url(endpoint: str, **values) -> str:
    """An absolute link built from BASE_URL, so mails sent outside a request are right too."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def send_email(template: str, to: str, *, endorsement: Endorsement | None = None, **context) -> OutboxMail:
    """Render templates/email/<template>.txt (first line 'Subject: ...') into the outbox."""
    rendered = render_template(f"email/{template}.txt", endorsement=endorsement, **context)
    first_line, _, body = rendered.lstrip().partition("\n")
    subject = " ".join(first_line.removeprefix("Subject:").split())
    outbox_mail = OutboxMail(
        kind=template, recipient=to, subject=subject[:300], body=body.strip() + "\n", endorsement=endorsement
    )
    db.session.add(outbox_mail)
    return outbox_mail


def endorser_language(endorsement: Endorsement) -> str:
    """The language they signed in, if the site still speaks it."""
    if endorsement.language in current_app.config["LANGUAGES"]:
        return endorsement.language
    return current_app.config["DEFAULT_LANGUAGE"]


def endorser_url(endorsement: Endorsement, endpoint: str, **values) -> str:
    """A link for the endorser that opens in their language (`?lang=`)."""
    return external_url(endpoint, lang=endorser_language(endorsement), **values)


def _to_endorser(template: str, endorsement: Endorsement, **context) -> OutboxMail | None:
    """Mail the endorsement's contact, within the per-endorsement cap, with their personal link."""
    if not endorsement.email or endorsement.mails_sent >= current_app.config["MAILS_PER_ENDORSEMENT"]:
        return None
    endorsement.mails_sent += 1
    manage_url = endorser_url(endorsement, "public.manage", token=make_token(endorsement.id, MANAGE))
    with force_locale(endorser_language(endorsement)):
        return send_email(
            template, endorsement.email, endorsement=endorsement, manage_url=manage_url, **context
        )


def _to_moderators(template: str, endorsement: Endorsement, **context) -> list[OutboxMail]:
    query = sa.select(Moderator.email).where(Moderator.active, Moderator.notify_new_endorsements)
    review_url = external_url("moderation.detail", endorsement_id=endorsement.id)
    with force_locale(current_app.config["DEFAULT_LANGUAGE"]):
        return [
            send_email(template, email, endorsement=endorsement, review_url=review_url, **context)
            for email in db.session.scalars(query)
        ]


def notify_endorser_to_confirm(endorsement: Endorsement):
    confirm_url = endorser_url(endorsement, "public.confirm", token=make_token(endorsement.id, CONFIRM))
    return _to_endorser("confirm_endorsement", endorsement, confirm_url=confirm_url)


def notify_endorser_of_repeat_signon(endorsement: Endorsement):
    return _to_endorser("repeat_signon", endorsement)


def notify_endorser_that_endorsement_is_published(endorsement: Endorsement):
    public_url = endorser_url(endorsement, "public.statement", slug=endorsement.statement.slug)
    return _to_endorser("endorsement_published", endorsement, public_url=public_url)


def notify_endorser_that_endorsement_is_rejected(endorsement: Endorsement):
    return _to_endorser("endorsement_rejected", endorsement)


def notify_endorser_that_endorsement_is_withdrawn(endorsement: Endorsement):
    return _to_endorser("endorsement_withdrawn", endorsement)


def notify_moderators_of_new_endorsement(endorsement: Endorsement):
    return _to_moderators("moderator_new_endorsement", endorsement)


def notify_moderators_of_withdrawal(endorsement: Endorsement):
    return _to_moderators("moderator_withdrawal", endorsement)


def notify_moderators_of_correction(endorsement: Endorsement):
    return _to_moderators("moderator_correction", endorsement)


def notify_endorser_that_correction_is_accepted(endorsement: Endorsement):
    public_url = endorser_url(endorsement, "public.statement", slug=endorsement.statement.slug)
    return _to_endorser("correction_accepted", endorsement, public_url=public_url)


def notify_endorser_that_correction_is_declined(endorsement: Endorsement, correction):
    return _to_endorser("correction_declined", endorsement, correction=correction)
