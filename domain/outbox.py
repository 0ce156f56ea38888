"""Delivering the outbox: claim a row, send it, record the outcome; retry with backoff."""

import logging
import smtplib
import threading
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from flask_mail import Connection, Message

from extensions import db
from models import OutboxMail, OutboxStatus, now_utc

log = logging.getLogger("jointly.outbox")

# Minutes to wait after each failed attempt; after the last one the mail is marked failed.
BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360, 720)
# How long a sender owns each mail of a batch it claimed: room for a slow SMTP exchange, whose
# every step may take MAIL_TIMEOUT. A sender that dies leaves the batch to others after that.
CLAIM_SECONDS = 60
CLAIM_BATCH = 5


class TimeoutConnection(Connection):
    """Flask-Mail's connection with a timeout, so a stalled server cannot hang a sender."""

    def configure_host(self):
        timeout = current_app.config["MAIL_TIMEOUT"]
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def _claim(mail_ids: list[int], ignore_schedule: bool) -> list[int]:
    """Take rows for sending, in one transaction: each goes to exactly one sender (worker,
    thread or CLI). One write per batch, not per mail: on SQLite every write waits for the one
    writer's lock, and a burst of sign-ons brings a burst of mail."""
    now = now_utc()
    waiting = sa.and_(
        OutboxMail.status == OutboxStatus.QUEUED,
        sa.true() if ignore_schedule else OutboxMail.next_attempt_at <= now,
    )
    abandoned = sa.and_(OutboxMail.status == OutboxStatus.SENDING, OutboxMail.claimed_until < now)
    claimed = db.session.scalars(
        sa.update(OutboxMail)
        .where(OutboxMail.id.in_(mail_ids), sa.or_(waiting, abandoned))
        .values(
            status=OutboxStatus.SENDING,
            claimed_until=now + timedelta(seconds=CLAIM_SECONDS * len(mail_ids)),
        )
        .returning(OutboxMail.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(claimed)


def _transmit(outbox_mail: OutboxMail, connection) -> None:
    if not current_app.config["MAIL_SERVER"]:
        # The embedded default: no SMTP server, so the operator reads mail on the console.
        print(
            f"\n----- mail to {outbox_mail.recipient} -----\nSubject: {outbox_mail.subject}\n\n"
            f"{outbox_mail.body}\n----- end of mail -----",
            flush=True,
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


def deliver(mail_ids: list[int], ignore_schedule: bool = False) -> tuple[int, int]:
    """Send the given outbox rows that are due; returns (sent, failed)."""
    sent = failed = 0
    connection = None
    try:
        for mail_id in _claimed_in_batches(mail_ids, ignore_schedule):
            outbox_mail = db.session.get(OutboxMail, mail_id)
            try:
                if connection is None and current_app.config["MAIL_SERVER"]:
                    connection = TimeoutConnection(current_app.extensions["mail"]).__enter__()
                _transmit(outbox_mail, connection)
            except (TimeoutError, smtplib.SMTPException, OSError) as error:
                log.warning("mail %s not delivered: %s", mail_id, error)
                _record_failure(outbox_mail, error)
                connection = _close(connection)
                failed += 1
            else:
                outbox_mail.status = OutboxStatus.SENT
                outbox_mail.sent_at = now_utc()
                outbox_mail.claimed_until = None
                sent += 1
            db.session.commit()
    finally:
        _close(connection)
    return sent, failed


def _claimed_in_batches(mail_ids: list[int], ignore_schedule: bool):
    """The ids this sender won, claimed a batch at a time, each batch just before it is sent."""
    for start in range(0, len(mail_ids), CLAIM_BATCH):
        yield from _claim(mail_ids[start : start + CLAIM_BATCH], ignore_schedule)


def _close(connection):
    if connection is not None and connection.host is not None:
        try:
            connection.host.quit()
        except (smtplib.SMTPException, OSError):
            pass
    return None


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
    return deliver(list(db.session.scalars(select_due(ignore_schedule))), ignore_schedule)


class BackgroundSender:
    """One thread per app and process: sends new mail right after its commit, and due
    retries every OUTBOX_RETRY_SECONDS. Started lazily on first use, so nothing runs at
    import or in a gunicorn master before it forks.
    """

    def __init__(self, app: Flask):
        self.app = app
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = None
        self._lock = threading.Lock()

    def kick(self) -> None:
        with self._lock:
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
                    deliver_due()
                except Exception:  # the thread must outlive any one bad batch
                    log.exception("outbox delivery failed")
                    db.session.rollback()
                finally:
                    db.session.remove()


def background_sender(app: Flask) -> BackgroundSender:
    return app.extensions.setdefault("jointly_outbox", BackgroundSender(app))


def after_commit() -> None:
    """Called after a commit that queued mail: the reader never waits for SMTP."""
    mode = current_app.config["OUTBOX_DELIVERY"]
    if mode == "background":
        background_sender(current_app._get_current_object()).kick()
    elif mode == "inline":
        deliver_due()
