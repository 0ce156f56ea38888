"""Delivering the outbox: claim rows, send each, record the outcome; retry with backoff.

Mail is written to the outbox in the transaction of the change that causes it
(`domain.notifications`). The commit of such a transaction wakes the sender by itself
(the session events at the end of this module, registered by `init_app`), so no caller has
to remember to; with OUTBOX_DELIVERY=worker the web processes only queue, and
`flask outbox worker` (`domain.outbox_worker`) finds the new rows within a second.
Delivery always runs in a database session of its own, never in the caller's.

The guarantee is at-least-once. A row is marked sent in the commit that follows the SMTP
server's acceptance, so only a crash between the two sends a mail again, and then with the
same Message-ID (made when the mail was queued), which receivers use to drop the copy.
"""

import logging
import os
import secrets
import smtplib
import socket
import threading
from contextvars import ContextVar
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from flask_mail import BadHeaderError
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from domain.intake import process_signons
from domain.mail_transport import Outcome, SmtpLink
from extensions import db
from models import OutboxMail, OutboxStatus, SignonIntake, now_utc

log = logging.getLogger("jointly.outbox")

DELIVERY_MODES = ("background", "worker", "inline", "manual")
# Minutes to wait after each failed attempt; after the last one the mail is marked failed.
BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360, 720)
CLAIM_BATCH = 5
# Set on a session whose transaction added outbox rows or sign-ons, so its commit wakes the sender.
_MAIL_QUEUED = "jointly.mail_queued"
# What the committed transaction queued: "mail", "signons" or both.
_working_inline = ContextVar("jointly_working_inline", default=False)


def _claim_until():
    return now_utc() + timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])


def _due(now, retry_now: bool):
    """Queued and due, and with retry_now also what waits for a retry (not mail scheduled for later)."""
    due = OutboxMail.next_attempt_at <= now
    if retry_now:
        due = sa.or_(due, OutboxMail.attempts > 0)
    waiting = sa.and_(OutboxMail.status == OutboxStatus.QUEUED, due)
    abandoned = sa.and_(OutboxMail.status == OutboxStatus.SENDING, OutboxMail.claimed_until < now)
    return sa.or_(waiting, abandoned)


def select_due(retry_now: bool = False) -> sa.Select:
    """Mail waiting to be sent, and mail whose sender stopped before its claim ran out; not
    mail another sender is busy with (trying to claim it would be a write for nothing)."""
    return sa.select(OutboxMail.id).where(_due(now_utc(), retry_now)).order_by(OutboxMail.id)


def claim(session: Session, mail_ids: list[int], sender: str, retry_now: bool = False) -> list[int]:
    """Take rows for sending, in one transaction: each goes to exactly one sender (worker,
    thread or CLI). One write per batch, not per mail: on SQLite every write waits for the one
    writer's lock, and a burst of sign-ons brings a burst of mail."""
    claimed = session.scalars(
        sa.update(OutboxMail)
        .where(OutboxMail.id.in_(mail_ids), _due(now_utc(), retry_now))
        .values(status=OutboxStatus.SENDING, claimed_until=_claim_until(), claimed_by=sender)
        .returning(OutboxMail.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return sorted(claimed)


def _error_class(error: Exception) -> str:
    """The kind of failure for logs: the exception's class and SMTP code, never its text (which
    can name the recipient)."""
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__} {code}" if code else type(error).__name__


def _record_failure(outbox_mail: OutboxMail, error: Exception) -> None:
    outbox_mail.attempts += 1
    outbox_mail.last_error = f"{type(error).__name__}: {error}"[:2000]
    permanent = isinstance(error, smtplib.SMTPRecipientsRefused | BadHeaderError) or (
        isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600
    )
    if permanent or outbox_mail.attempts > len(BACKOFF_MINUTES):
        outbox_mail.status = OutboxStatus.FAILED
        log.warning("mail %d (%s) failed for good: %s", outbox_mail.id, outbox_mail.kind, _error_class(error))
    else:
        outbox_mail.status = OutboxStatus.QUEUED
        delay = BACKOFF_MINUTES[outbox_mail.attempts - 1]
        outbox_mail.next_attempt_at = now_utc() + timedelta(minutes=delay)
        log.warning(
            "mail %d (%s) not delivered: %s; retry %d in %d min",
            *(outbox_mail.id, outbox_mail.kind, _error_class(error), outbox_mail.attempts, delay),
        )


def _apply(outbox_mail: OutboxMail, outcome: Outcome, sender: str) -> bool | None:
    """Write one outcome down: True for a delivery, False for a failure, None if not ours to write."""
    if outcome.error is None:
        # Always the truth, even if the claim ran out and another sender holds the row now.
        if not outcome.printed:
            retries = f" after {outbox_mail.attempts} failed attempt(s)" if outbox_mail.attempts else ""
            log.info("mail %d (%s) sent%s", outbox_mail.id, outbox_mail.kind, retries)
        outbox_mail.status, outbox_mail.sent_at = OutboxStatus.SENT, now_utc()
    elif outbox_mail.status == OutboxStatus.SENDING and outbox_mail.claimed_by == sender:
        _record_failure(outbox_mail, outcome.error)
    else:
        return None  # another sender holds it now; its own attempt will tell
    outbox_mail.claimed_until = outbox_mail.claimed_by = None
    return outcome.error is None


class Sender:
    """Sends due mail, a claimed batch at a time, and writes each outcome down at once.

    What it could not write down because the database failed it keeps, and writes first on
    its next run: a mail the SMTP server accepted is then marked sent (not sent again), and
    the rows it had claimed but not sent are released, not left until their claim runs out.
    `stopping` (set by the worker on SIGTERM) ends a run after the mail in hand.
    """

    def __init__(self):
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[-100:]
        self.stopping = threading.Event()
        self.database_ok = True
        self.sent = self.failed = 0
        self._outcomes: dict[int, Outcome] = {}
        self._claimed: set[int] = set()

    @property
    def settled(self) -> bool:
        """Nothing held back by a database error."""
        return not (self._outcomes or self._claimed)

    def deliver_due(self, retry_now: bool = False) -> tuple[int, int]:
        """Everything due (with retry_now, also what waits for a retry); returns (sent, failed)."""
        self.sent = self.failed = 0
        due = []
        with Session(db.engine) as session:
            try:
                self._settle(session)  # first, so rows it releases are due in this very run
                due = list(session.scalars(select_due(retry_now)))
            except SQLAlchemyError as error:
                self._database_failed(session, error)
                return self.sent, self.failed
        return self._deliver(due, retry_now)

    def deliver(self, mail_ids: list[int], retry_now: bool = False) -> tuple[int, int]:
        """Send the given rows that are still due; returns (sent, failed) of this run."""
        self.sent = self.failed = 0
        return self._deliver(mail_ids, retry_now)

    def _deliver(self, mail_ids: list[int], retry_now: bool) -> tuple[int, int]:
        smtp = SmtpLink()
        with Session(db.engine) as session:
            try:
                self._settle(session)
                for start in range(0, len(mail_ids), CLAIM_BATCH):
                    # Each batch is claimed just before it is sent, so a long run holds few rows.
                    if self.stopping.is_set():
                        break
                    batch = mail_ids[start : start + CLAIM_BATCH]
                    self._claimed.update(claim(session, batch, self.name, retry_now))
                    if not self._send_claimed(session, smtp):
                        break
                self.database_ok = True
            except SQLAlchemyError as error:
                self._database_failed(session, error)
            finally:
                smtp.close()
        return self.sent, self.failed

    def _database_failed(self, session: Session, error: Exception) -> None:
        session.rollback()
        self.database_ok = False
        log.warning(
            "outbox: database error (%s); %d outcome(s) and %d claim(s) kept to write down next time",
            *(type(error).__name__, len(self._outcomes), len(self._claimed)),
        )

    def _send_claimed(self, session: Session, smtp: SmtpLink) -> bool:
        """Send the claimed rows in order; False when the SMTP server cannot be reached."""
        query = sa.select(OutboxMail).where(OutboxMail.id.in_(self._claimed)).order_by(OutboxMail.id)
        reachable = True
        for outbox_mail in session.scalars(query).all():
            if self.stopping.is_set() or not reachable:
                break
            outcome = smtp.send(outbox_mail)
            self._claimed.discard(outbox_mail.id)
            self._outcomes[outbox_mail.id] = outcome
            reachable = not outcome.unreachable
            self._record(session)
        self._release(session)
        return reachable

    def _record(self, session: Session) -> None:
        """Write the outcomes down and renew the claim on the rest of the batch, in one commit."""
        results = []
        for mail_id, outcome in self._outcomes.items():
            outbox_mail = session.get(OutboxMail, mail_id)
            if outbox_mail is not None:
                results.append(_apply(outbox_mail, outcome, self.name))
        if self._claimed:
            session.execute(self._mine().values(claimed_until=_claim_until()))
        session.commit()
        self._outcomes.clear()
        self.sent += results.count(True)
        self.failed += results.count(False)

    def _release(self, session: Session) -> None:
        """Rows claimed and not sent go back to the queue at once, due as they were."""
        if self._claimed:
            session.execute(
                self._mine().values(status=OutboxStatus.QUEUED, claimed_until=None, claimed_by=None)
            )
            session.commit()
        self._claimed.clear()

    def _mine(self) -> sa.Update:
        return (
            sa.update(OutboxMail)
            .where(
                OutboxMail.id.in_(self._claimed),
                OutboxMail.status == OutboxStatus.SENDING,
                OutboxMail.claimed_by == self.name,
            )
            .execution_options(synchronize_session=False)
        )

    def _settle(self, session: Session) -> None:
        if self._outcomes:
            self._record(session)
        self._release(session)


def deliver_due(retry_now: bool = False) -> tuple[int, int]:
    """One run of a sender of its own (inline delivery, `flask outbox send`, the outbox page)."""
    return Sender().deliver_due(retry_now)


def decide_and_deliver(sender: "Sender", *, send_mail: bool = True, retry_now: bool = False) -> None:
    """One round of background work: decide the sign-ons taken since the last round (they
    queue mail, `domain.intake`), then send what is due."""
    process_signons()
    if send_mail:
        sender.deliver_due(retry_now=retry_now)


class BackgroundSender:
    """One thread per app and process (OUTBOX_DELIVERY=background, as in `make run`): decides
    new sign-ons and sends new mail right after their commit, and due retries every
    OUTBOX_RETRY_SECONDS. Started lazily (by the first request or commit with mail), so
    nothing runs at import or in a gunicorn master before it forks; its first run sends
    whatever is due. With OUTBOX_DELIVERY=manual it decides sign-ons only: mail waits for
    `flask outbox send`.
    """

    def __init__(self, app: Flask):
        self.app = app
        self.wakes = 0
        self.sender = Sender()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopped.clear()
                self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
                self._thread.start()

    def kick(self) -> None:
        self.wakes += 1
        self.start()
        self._wake.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.clear()
            with self.app.app_context():
                try:
                    decide_and_deliver(self.sender, send_mail=self.app.config["OUTBOX_DELIVERY"] != "manual")
                except Exception:  # the thread must outlive any one bad batch
                    log.exception("background work failed")
            # What a database error held back is retried within a second, not a minute.
            pause = self.app.config["OUTBOX_RETRY_SECONDS"] if self.sender.settled else 1
            self._wake.wait(timeout=pause)


def background_sender(app: Flask) -> BackgroundSender:
    return app.extensions.setdefault("jointly_outbox", BackgroundSender(app))


def wake_sender(app: Flask, queued: frozenset = frozenset({"mail", "signons"})) -> None:
    """New mail or sign-ons were committed: deal with them now, as OUTBOX_DELIVERY says. The
    reader never waits for it unless it says `inline` (tests): then it runs here, in an app
    context (so a database session) of its own, since the committing one is finishing.
    `worker` leaves it to `flask outbox worker`; `manual` wakes the thread to decide sign-ons
    only (mail waits for `flask outbox send`)."""
    mode = app.config["OUTBOX_DELIVERY"]
    if mode == "background" or (mode == "manual" and "signons" in queued):
        background_sender(app).kick()
    elif mode == "inline" and not _working_inline.get():  # its own commits need no second round
        working = _working_inline.set(True)
        try:
            with app.app_context():
                decide_and_deliver(Sender())
        finally:
            _working_inline.reset(working)


def _start_background_sender() -> None:
    """A restarted process sends what waits without waiting for new mail to wake it."""
    app = current_app._get_current_object()
    if app.config["OUTBOX_DELIVERY"] == "background":
        background_sender(app).start()


def _note_queued_mail(session: Session, _flush_context) -> None:
    queued = session.info.setdefault(_MAIL_QUEUED, set())
    for instance in session.new:
        if isinstance(instance, OutboxMail):
            queued.add("mail")
        elif isinstance(instance, SignonIntake):
            queued.add("signons")


def _wake_sender_after_commit(session: Session) -> None:
    # A savepoint's release fires after_commit too, but its rows are not yet visible to the
    # sender's own connection: wait for the outermost commit.
    if session.in_nested_transaction():
        return
    queued = session.info.pop(_MAIL_QUEUED, None)
    if queued and has_app_context():
        wake_sender(current_app._get_current_object(), frozenset(queued))


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
    app.before_request(_start_background_sender)
