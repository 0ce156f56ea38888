"""Statement updates: news admins write about a statement, mailed to the endorsers who asked.

An update holds a subject and a Markdown text in the statement's own language and, if the
admin writes them, in its translations. It is previewed with the count of its recipients and
sent once: one mail per address, in the endorser's language (else the statement's own),
through the outbox, paced at MAIL_RATE_PER_MINUTE. The mail is plain text: the Markdown as the
admin wrote it, which reads as text and keeps every link whole. Each mail carries a one-click
unsubscribe link and its RFC 8058 headers, and does not count against MAILS_PER_ENDORSEMENT.
Plain functions: they change the session and record the audit event; the caller commits.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from domain import RuleError
from domain.audit import record
from domain.notifications import PersonalLink, endorser_language, mail_endorser
from domain.tokens import UNSUBSCRIBE
from extensions import db
from models import Endorsement, OutboxMail, OutboxStatus, Statement, StatementUpdate, now_utc

UNSUBSCRIBE_LINK = PersonalLink("subscriptions.unsubscribe", UNSUBSCRIBE)
# RFC 2369 and RFC 8058: mail programs show an "Unsubscribe" button that POSTs to the link.
ONE_CLICK_HEADERS = {
    "List-Unsubscribe": "<{unsubscribe_url}>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def _already_sent() -> RuleError:
    return RuleError(_("This update has already been sent; an update is sent only once."))


def save_update(statement: Statement, texts: dict, moderator, update: StatementUpdate | None = None):
    """Write a new update, or change one not sent yet. `texts`: {language: {subject, body}},
    the statement's own language among them."""
    if update is not None and update.is_sent:
        raise _already_sent()
    if (statement.language or "en") not in texts:
        raise RuleError(_("Please write the update in the statement's own language."))
    if update is None:
        update = StatementUpdate(statement=statement, created_by_id=moderator.id)
        db.session.add(update)
    update.texts = {
        language: {"subject": text["subject"], "body": text["body"]} for language, text in texts.items()
    }
    db.session.flush()
    return update


def recipients(statement: Statement) -> list[Endorsement]:
    """Who gets the statement's news: one endorsement per address (the oldest that asked), so
    a person who signed for two organisations gets each update once."""
    seen, chosen = set(), []
    for endorsement in db.session.scalars(Endorsement.select_wanting_updates(statement.id)):
        address = endorsement.email.lower()
        if address not in seen:
            seen.add(address)
            chosen.append(endorsement)
    return chosen


@dataclass(frozen=True)
class Audience:
    """How many recipients read a language, and which language's text they get."""

    language: str
    count: int
    text_language: str


def audience(update: StatementUpdate) -> list[Audience]:
    """The recipients an update would have now, by language, for its preview."""
    counts = Counter(endorser_language(endorsement) for endorsement in recipients(update.statement))
    own = update.statement.language or "en"
    return [
        Audience(language, count, language if language in update.texts else own)
        for language, count in sorted(counts.items())
    ]


def _send_times(count: int) -> list[datetime]:
    """Evenly spaced, MAIL_RATE_PER_MINUTE a minute, starting after the update mails still
    waiting for their turn (so two updates sent together keep the pace)."""
    gap = timedelta(minutes=1) / current_app.config["MAIL_RATE_PER_MINUTE"]
    waiting = sa.select(sa.func.max(OutboxMail.next_attempt_at)).where(
        OutboxMail.update_id.is_not(None),
        OutboxMail.status == OutboxStatus.QUEUED,
        OutboxMail.attempts == 0,
    )
    last = db.session.scalar(waiting)
    start = max(now_utc(), last + gap) if last else now_utc()
    return [start + gap * n for n in range(count)]


def _mail_update(update: StatementUpdate, endorsement: Endorsement, send_at: datetime) -> OutboxMail:
    text = update.text_in(endorser_language(endorsement))
    mail = mail_endorser(
        "statement_update",
        endorsement,
        links={"unsubscribe_url": UNSUBSCRIBE_LINK},
        headers=ONE_CLICK_HEADERS,
        counted=False,
        send_at=send_at,
        update_subject=text["subject"],
        update_body=text["body"],
    )
    mail.update = update
    return mail


def send_update(update: StatementUpdate, moderator) -> int:
    """Queue the update for every recipient, paced; returns how many. Sent once: a second send,
    even one pressed at the same moment elsewhere, is refused (the conditional UPDATE lets one
    through)."""
    if update.is_sent:
        raise _already_sent()
    chosen = recipients(update.statement)
    if not chosen:
        raise RuleError(
            _("Nobody would get this update: no confirmed endorser of this statement asked for news.")
        )
    claim = (
        sa.update(StatementUpdate)
        .where(StatementUpdate.id == update.id, StatementUpdate.sent_at.is_(None))
        .values(sent_at=now_utc(), sent_by_id=moderator.id, recipients=len(chosen))
    )
    if db.session.execute(claim).rowcount != 1:
        raise _already_sent()
    for endorsement, send_at in zip(chosen, _send_times(len(chosen)), strict=True):
        _mail_update(update, endorsement, send_at)
    record(
        "update_sent",
        moderator=moderator,
        statement=update.statement,
        after={"update": update.id, "recipients": len(chosen)},
    )
    return len(chosen)


@dataclass(frozen=True)
class Progress:
    queued: int
    sent: int
    failed: int


def progress(update: StatementUpdate) -> Progress:
    """Where the update's mails are, counted from their outbox rows."""
    counts = dict(db.session.execute(OutboxMail.count_by_status(update.id)).all())
    return Progress(
        queued=counts.get(OutboxStatus.QUEUED, 0) + counts.get(OutboxStatus.SENDING, 0),
        sent=counts.get(OutboxStatus.SENT, 0),
        failed=counts.get(OutboxStatus.FAILED, 0),
    )


def _set_choice(endorsement: Endorsement, wanted: bool, action: str) -> None:
    record(
        action,
        endorsement=endorsement,
        before={"updates": endorsement.wants_updates},
        after={"updates": wanted},
    )
    endorsement.wants_updates = wanted


def choose_updates(endorsement: Endorsement, wanted: bool) -> bool:
    """The endorser's choice on their personal page; False when it already was so."""
    if endorsement.wants_updates == wanted:
        return False
    _set_choice(endorsement, wanted, "updates_choice")
    return True


def unsubscribe(endorsement: Endorsement) -> int:
    """Stop the statement's news to this address: every endorsement of the statement from it
    asked for them, and one mail went to all of them. Returns how many changed (0: already off)."""
    same_address = [endorsement]
    if endorsement.email:
        same_address = db.session.scalars(
            sa.select(Endorsement).where(
                Endorsement.statement_id == endorsement.statement_id,
                sa.func.lower(Endorsement.email) == endorsement.email.lower(),
            )
        ).all()
    changed = [each for each in same_address if each.wants_updates]
    for each in changed:
        _set_choice(each, False, "unsubscribe")
    return len(changed)
