"""How one mail leaves: composed from its outbox row with its personal links made now, then
handed to the SMTP server, or printed to the console where there is none."""

import logging
import smtplib
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from flask_mail import BadHeaderError, Connection, Message

from domain.tokens import make_token
from models import OutboxMail
from models.outbox import MASK

log = logging.getLogger("jointly.outbox")

# Errors of one delivery attempt: the mail waits for a retry (or fails), the sender goes on.
SEND_ERRORS = (TimeoutError, smtplib.SMTPException, OSError, BadHeaderError)


def compose(outbox_mail: OutboxMail) -> Message:
    """The mail as it is sent: its personal links made now, with the row's Message-ID."""
    tokens = {
        marker: make_token(outbox_mail.endorsement_id, purpose) if outbox_mail.endorsement_id else MASK
        for marker, purpose in (outbox_mail.links or {}).items()
    }

    def fill(text: str) -> str:
        for marker, token in tokens.items():
            text = text.replace(marker, token)
        return text

    headers = {name: fill(value) for name, value in (outbox_mail.headers or {}).items()}
    message = Message(
        subject=outbox_mail.subject,
        recipients=[outbox_mail.recipient],
        body=fill(outbox_mail.body),
        reply_to=headers.pop("Reply-To", None),
        extra_headers=headers or None,
    )
    message.msgId = outbox_mail.message_id
    return message


@contextmanager
def smtp_connection():
    """A Flask-Mail connection whose socket has a timeout, so a stalled server cannot hang a sender.

    Flask-Mail opens its SMTP connection without one (pallets-eco/flask-mail#114), so the
    socket is opened here, from the same MAIL_* settings Flask-Mail reads (MAIL_DEBUG too),
    and Flask-Mail sends through it.
    """
    state = current_app.extensions["mail"]
    smtp_class = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
    host = smtp_class(state.server, state.port, timeout=current_app.config["MAIL_TIMEOUT"])
    try:
        host.set_debuglevel(int(state.debug))
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        connection = Connection(state)
        connection.host = host
        yield connection
    finally:
        try:
            host.quit()
        except (smtplib.SMTPException, OSError):
            pass


def _print_to_console(outbox_mail: OutboxMail) -> None:
    """The embedded default: no SMTP server. Whole mails, links included, only where the
    operator said so (MAIL_CONSOLE_LINKS, on in `make run`): a server's log is read by others."""
    if not current_app.config["MAIL_CONSOLE_LINKS"]:
        log.info(
            "mail %d (%s) kept in the outbox, not sent: no MAIL_SERVER", outbox_mail.id, outbox_mail.kind
        )
        return
    message = compose(outbox_mail)
    headers = {"To": outbox_mail.recipient, "Subject": message.subject, "Reply-To": message.reply_to}
    headers.update(message.extra_headers or {})
    lines = [f"{name}: {value}" for name, value in headers.items() if value]
    log.info("mail %d (no MAIL_SERVER: not sent)\n%s\n\n%s", outbox_mail.id, "\n".join(lines), message.body)


@dataclass
class Outcome:
    """What one attempt came to; `unreachable`: the server could not be reached at all."""

    error: Exception | None = None
    unreachable: bool = False
    printed: bool = False  # no MAIL_SERVER: kept in the outbox (and perhaps the console) instead


class SmtpLink:
    """One SMTP connection per run, opened when first needed; after a failure it is closed,
    and a connection that cannot be opened stops the run (the other mails would only wait
    MAIL_TIMEOUT each for the same answer)."""

    def __init__(self):
        self._opened = self._connection = None

    def send(self, outbox_mail: OutboxMail) -> Outcome:
        try:
            connection = self._open()
        except SEND_ERRORS as error:
            self.close()
            return Outcome(error, unreachable=True)
        try:
            if connection is None:
                _print_to_console(outbox_mail)
                return Outcome(printed=True)
            connection.send(compose(outbox_mail))
        except SEND_ERRORS as error:
            self.close()  # a connection that failed once is not trusted with the next mail
            return Outcome(error)
        except Exception as error:  # a bug with one mail must not stop all the others
            log.exception("mail %d (%s) could not be sent", outbox_mail.id, outbox_mail.kind)
            self.close()
            return Outcome(error)
        return Outcome()

    def _open(self) -> Connection | None:
        if self._connection is None and current_app.config["MAIL_SERVER"]:
            self._opened = smtp_connection()
            self._connection = self._opened.__enter__()
        return self._connection

    def close(self) -> None:
        if self._opened is not None:
            self._opened.__exit__(None, None, None)
        self._connection = self._opened = None
