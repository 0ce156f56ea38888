"""Every mail Jointly sends, named by recipient and event; each goes into the outbox
in the caller's transaction and is delivered after the commit.

A mail to an endorser is written in the language they signed in, whatever the language
of the request that causes it (a moderator's approval, say); moderators get theirs in
DEFAULT_LANGUAGE. Personal links (confirm, withdraw) are never stored: a mail holds a marker
where each link's token goes, and the sender signs a fresh token when it sends the mail
(`domain.mail_transport.compose`), so no outbox row and no moderator page holds a working link.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from email.utils import make_msgid, parseaddr
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from domain.statements import organisers_of
from domain.tokens import CONFIRM, MANAGE
from extensions import db
from models import Endorsement, Moderator, OutboxMail, now_utc


@dataclass(frozen=True)
class PersonalLink:
    """A link that acts as the endorser: an endpoint taking a signed `token` for one purpose."""

    endpoint: str
    purpose: str


CONFIRM_LINK = PersonalLink("public.confirm", CONFIRM)
MANAGE_LINK = PersonalLink("public.manage", MANAGE)


def external_url(endpoint: str, **values) -> str:
    """An absolute link built from BASE_URL, so mails sent outside a request are right too."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def new_message_id() -> str:
    """Made once per mail, when it is queued, and sent with every attempt."""
    sender_domain = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2]
    return make_msgid(domain=sender_domain or "jointly.invalid")


def _link_markers(endorsement: Endorsement | None, links: dict[str, PersonalLink]) -> tuple[dict, dict]:
    """For each named link: its URL with a random marker for the token, and marker → purpose."""
    if links and endorsement is None:
        raise ValueError("personal links need the endorsement they act for")
    urls, markers = {}, {}
    for name, link in links.items():
        marker = f"link-{secrets.token_hex(8)}"
        markers[marker] = link.purpose
        urls[name] = endorser_url(endorsement, link.endpoint, token=marker)
    return urls, markers


def _with_links(value: str, urls: dict[str, str]) -> str:
    for name, url in urls.items():
        value = value.replace("{" + name + "}", url)
    return value


def send_email(
    template: str,
    to: str,
    *,
    endorsement: Endorsement | None = None,
    links: dict[str, PersonalLink] | None = None,
    headers: dict[str, str] | None = None,
    send_at: datetime | None = None,
    **context,
) -> OutboxMail:
    """Render templates/email/<template>.txt (first line 'Subject: ...') into the outbox.

    `links` are personal links the template shows by name (`{{ confirm_url }}`); header values
    may show them too, as '{name}' ('<{unsubscribe_url}>'). `send_at` schedules the mail
    (paced sending); retries and `outbox send` keep that time.
    """
    urls, markers = _link_markers(endorsement, links or {})
    rendered = render_template(f"email/{template}.txt", endorsement=endorsement, **urls, **context)
    first_line, _, body = rendered.lstrip().partition("\n")
    subject = " ".join(first_line.removeprefix("Subject:").split())
    headers = {name: _with_links(value, urls) for name, value in (headers or {}).items() if value}
    if any("\r" in value or "\n" in value for value in [*headers, *headers.values()]):
        raise ValueError("a mail header cannot hold a line break")
    outbox_mail = OutboxMail(
        kind=template,
        recipient=to,
        subject=subject[:300],
        body=body.strip() + "\n",
        endorsement=endorsement,
        message_id=new_message_id(),
        links=markers or None,
        headers=headers or None,
        next_attempt_at=send_at or now_utc(),
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


def mail_endorser(
    template: str,
    endorsement: Endorsement,
    *,
    links: dict[str, PersonalLink] | None = None,
    headers: dict[str, str] | None = None,
    counted: bool = True,
    send_at: datetime | None = None,
    **context,
) -> OutboxMail | None:
    """Mail the endorsement's contact in their language, with their personal withdraw link
    (`manage_url`) and the organisers as Reply-To. A `counted` mail is refused past
    MAILS_PER_ENDORSEMENT; mail the contact asked for (updates) passes `counted=False`."""
    if not endorsement.email:
        return None
    if counted:
        if endorsement.mails_sent >= current_app.config["MAILS_PER_ENDORSEMENT"]:
            return None
        endorsement.mails_sent += 1
    reply_to = organisers_of(endorsement.statement).reply_to
    with force_locale(endorser_language(endorsement)):
        return send_email(
            template,
            endorsement.email,
            endorsement=endorsement,
            links={"manage_url": MANAGE_LINK, **(links or {})},
            headers={"Reply-To": reply_to, **(headers or {})},
            send_at=send_at,
            **context,
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
    return mail_endorser("confirm_endorsement", endorsement, links={"confirm_url": CONFIRM_LINK})


def notify_endorser_of_repeat_signon(endorsement: Endorsement):
    """Someone signed again: an unconfirmed endorsement gets a fresh confirm link (the first
    mail may be lost), a confirmed one its status."""
    links = {} if endorsement.is_confirmed else {"confirm_url": CONFIRM_LINK}
    return mail_endorser("repeat_signon", endorsement, links=links)


def notify_endorser_that_endorsement_is_published(endorsement: Endorsement):
    public_url = endorser_url(endorsement, "public.statement", slug=endorsement.statement.slug)
    return mail_endorser("endorsement_published", endorsement, public_url=public_url)


def notify_endorser_that_endorsement_is_rejected(endorsement: Endorsement):
    return mail_endorser("endorsement_rejected", endorsement)


def notify_endorser_that_endorsement_is_withdrawn(endorsement: Endorsement):
    return mail_endorser("endorsement_withdrawn", endorsement)


def notify_moderators_of_new_endorsement(endorsement: Endorsement):
    return _to_moderators("moderator_new_endorsement", endorsement)


def notify_moderators_of_withdrawal(endorsement: Endorsement):
    return _to_moderators("moderator_withdrawal", endorsement)


def notify_moderators_of_correction(endorsement: Endorsement):
    return _to_moderators("moderator_correction", endorsement)


def notify_endorser_that_correction_is_accepted(endorsement: Endorsement):
    public_url = endorser_url(endorsement, "public.statement", slug=endorsement.statement.slug)
    return mail_endorser("correction_accepted", endorsement, public_url=public_url)


def notify_endorser_that_correction_is_declined(endorsement: Endorsement, correction):
    return mail_endorser("correction_declined", endorsement, correction=correction)
