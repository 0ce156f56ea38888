"""Delivering the outbox: claim rows, send each, record the outcome; retry with backoff.

Mail is written to the outbox in the transaction of the change that causes it
(`domain.notifications`). The commit of such a transaction wakes the sender by itself
(the session events at the end of this module, registered by `init_app`), so no caller has
to remember to.
Delivery always runs in a database session of its own, never in the caller's.
"""

import logging
import smtplib
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from flask_mail import Connection, Message
from sqlalchemy import event
from sqlalchemy.orm import Session

from domain.intake import process_signons
from extensions import db
from models import OutboxMail, OutboxStatus, SignonIntake, now_utc

log = logging.getLogger("jointly.outbox")

# Minutes to wait after each failed attempt; after the last one the mail is marked failed.
BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360, 720)
# How long a sender owns each mail of a batch it claimed: room for a slow SMTP exchange, whose
# every step may take MAIL_TIMEOUT. A sender that dies leaves the batch to others after that.
CLAIM_SECONDS = 60
CLAIM_BATCH = 5
# Set on a session whose transaction added outbox rows, so its commit wakes the sender.
_MAIL_QUEUED = "jointly.mail_queued"
_working_inline = ContextVar("jointly_working_inline", default=False)


def claim(session: Session, mail_ids: list[int], ignore_schedule: bool) -> list[int]:
    """Take rows for sending, in one transaction: each goes to exactly one sender (worker,
    thread or CLI). One write per batch, not per mail: on SQLite every write waits for the one
    writer's lock, and a burst of sign-ons brings a burst of mail."""
    now = now_utc()
    waiting = sa.and_(
        OutboxMail.status == OutboxStatus.QUEUED,
        sa.true() if ignore_schedule else OutboxMail.next_attempt_at <= now,
    )
    abandoned = sa.and_(OutboxMail.status == OutboxStatus.SENDING, OutboxMail.claimed_until < now)
    claimed = session.scalars(
        sa.update(OutboxMail)
        .where(OutboxMail.id.in_(mail_ids), sa.or_(waiting, abandoned))
        .values(
            status=OutboxStatus.SENDING,
            claimed_until=now + timedelta(seconds=CLAIM_SECONDS * len(mail_ids)),
        )
        .returning(OutboxMail.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return sorted(claimed)


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


def _transmit(outbox_mail: OutboxMail, connection: Connection | None) -> None:
    if connection is None:
        # The embedded default: no SMTP server, so the operator reads mail in the log.
        log.info(
            "mail to %s (no MAIL_SERVER: not sent)\nSubject: %s\n\n%s",
            outbox_mail.recipient,
            outbox_mail.subject,
            outbox_mail.body,
        )
        return
    message = Message(subject=outbox_mail.subject, recipients=[outbox_mail.recipient], body=outbox_mail.body)
    connection.send(message)


def _record_failure(outbox_mail: OutboxMail, error: Exception) -> None:
    outbox_mail.attempts += 1
    outbox_mail.last_error = f"{type(error).__name__}: {error}"[:2000]
    permanent = isinstance(error, smtplib.SMTPRecipientsRefused) or (
        isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600
    )
    if permanent or outbox_mail.attempts > len(BACKOFF_MINUTES):
        outbox_mail.status = OutboxStatus.FAILED
    else:
        outbox_mail.status = OutboxStatus.QUEUED
        delay = BACKOFF_MINUTES[outbox_mail.attempts - 1]
        outbox_mail.next_attempt_at = now_utc() + timedelta(minutes=delay)
    outbox_mail.claimed_until = None


def _record_sent(outbox_mail: OutboxMail) -> None:
    outbox_mail.status = OutboxStatus.SENT
    outbox_mail.sent_at = now_utc()
    outbox_mail.claimed_until = None


class _Delivery:
    """One run of the sender over some rows, with one SMTP connection opened when first needed."""

    def __init__(self, session: Session):
        self.session = session
        self.sent = self.failed = 0
        self._connection = None
        self._opened = None

    def send(self, mail_id: int) -> None:
        outbox_mail = self.session.get(OutboxMail, mail_id)
        try:
            _transmit(outbox_mail, self._open())
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            log.warning("mail %s not delivered: %s", mail_id, error)
            _record_failure(outbox_mail, error)
            self.close()  # a connection that failed once is not trusted with the next mail
            self.failed += 1
        else:
            _record_sent(outbox_mail)
            self.sent += 1
        self.session.commit()

    def _open(self) -> Connection | None:
        if self._connection is None and current_app.config["MAIL_SERVER"]:
            self._opened = smtp_connection()
            self._connection = self._opened.__enter__()
        return self._connection

    def close(self) -> None:
        if self._opened is not None:
            self._opened.__exit__(None, None, None)
        self._connection = self._opened = None


def deliver(mail_ids: list[int], ignore_schedule: bool = False) -> tuple[int, int]:
    """Send the given outbox rows that are due; returns (sent, failed)."""
    with Session(db.engine) as session:
        delivery = _Delivery(session)
        try:
            for start in range(0, len(mail_ids), CLAIM_BATCH):
                # Each batch is claimed just before it is sent, so a long run holds few rows.
                for mail_id in claim(session, mail_ids[start : start + CLAIM_BATCH], ignore_schedule):
                    delivery.send(mail_id)
        finally:
            delivery.close()
    return delivery.sent, delivery.failed


def select_due(ignore_schedule: bool = False) -> sa.Select:
    """Mail waiting to be sent, and mail whose sender stopped before its claim ran out; not
    mail another sender is busy with (trying to claim it would be a write for nothing)."""
    now = now_utc()
    waiting = OutboxMail.status == OutboxStatus.QUEUED
    if not ignore_schedule:
        waiting = sa.and_(waiting, OutboxMail.next_attempt_at <= now)
    abandoned = sa.and_(OutboxMail.status == OutboxStatus.SENDING, OutboxMail.claimed_until < now)
    return sa.select(OutboxMail.id).where(sa.or_(waiting, abandoned)).order_by(OutboxMail.id)


def deliver_due(ignore_schedule: bool = False) -> tuple[int, int]:
    """Everything waiting (or, with ignore_schedule, also what waits for a retry)."""
    with Session(db.engine) as session:
        due = list(session.scalars(select_due(ignore_schedule)))
    return deliver(due, ignore_schedule)


def do_background_work(send_mail: bool = True) -> None:
    """Decide the sign-ons taken since last time (they queue mail), then send what is due."""
    process_signons()
    if send_mail:
        deliver_due()


class BackgroundSender:
    """One thread per app and process: decides new sign-ons and sends new mail right after
    their commit, and due retries every OUTBOX_RETRY_SECONDS. Started lazily on first use, so
    nothing runs at import or in a gunicorn master before it forks. With
    OUTBOX_DELIVERY=manual it decides sign-ons only; mail waits for `flask outbox send`.
    """

    def __init__(self, app: Flask):
        self.app = app
        self.wakes = 0
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = None
        self._lock = threading.Lock()

    def kick(self) -> None:
        with self._lock:
            self.wakes += 1
            if self._thread is None or not self._thread.is_alive():
                self._stopped.clear()
                self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
                self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(timeout=self.app.config["OUTBOX_RETRY_SECONDS"])
            self._wake.clear()
            if self._stopped.is_set():
                return
            with self.app.app_context():
                try:
                    do_background_work(send_mail=self.app.config["OUTBOX_DELIVERY"] != "manual")
                except Exception:  # the thread must outlive any one bad batch
                    log.exception("background work failed")


def background_sender(app: Flask) -> BackgroundSender:
    return app.extensions.setdefault("jointly_outbox", BackgroundSender(app))


def wake_sender(app: Flask) -> None:
    """New mail or sign-ons were committed: deal with them now, as OUTBOX_DELIVERY says. The
    reader never waits for it, unless it says `inline` (tests): then it runs here, in an app
    context (and so a database session) of its own, since the committing one is finishing."""
    mode = app.config["OUTBOX_DELIVERY"]
    if mode in ("background", "manual"):
        background_sender(app).kick()
    elif mode == "inline" and not _working_inline.get():  # its own commits need no second round
        working = _working_inline.set(True)
        try:
            with app.app_context():
                do_background_work()
        finally:
            _working_inline.reset(working)


def _note_queued_mail(session: Session, _flush_context) -> None:
    if any(isinstance(instance, OutboxMail | SignonIntake) for instance in session.new):
        session.info[_MAIL_QUEUED] = True


def _wake_sender_after_commit(session: Session) -> None:
    # A savepoint's release fires after_commit too, but its rows are not yet visible to the
    # sender's own connection: wait for the outermost commit.
    if session.in_nested_transaction():
        return
    if session.info.pop(_MAIL_QUEUED, False) and has_app_context():
        wake_sender(current_app._get_current_object())


def _forget_queued_mail(session: Session) -> None:
    session.info.pop(_MAIL_QUEUED, None)


_SESSION_EVENTS = {
    "after_flush": _note_queued_mail,
    "after_commit": _wake_sender_after_commit,
    "after_rollback": _forget_queued_mail,
}


def init_app(app: Flask) -> None:
    """Every commit that queued mail wakes the sender (the listeners are registered once per process)."""
    for name, listener in _SESSION_EVENTS.items():
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
