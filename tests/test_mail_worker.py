"""`flask outbox worker` as a real process against a real SMTP server: killed mid-send and
restarted it delivers every mail, a copy only in the stated window and with the same
Message-ID; after a mail server outage a restart sends with no new request; it stops cleanly."""

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from extensions import db
from models import OutboxMail
from tests.helpers import ROOT, outbox_mails, sign, signons_decided, wait_until
from tests.smtp import SmtpServer, free_port

pytestmark = pytest.mark.server

FLASK = Path(sys.executable).parent / "flask"
CLAIM_SECONDS = 2


@pytest.fixture
def app_config():
    return {"OUTBOX_DELIVERY": "worker"}  # the web side only queues, as in production


class Worker:
    """`flask --app app outbox worker` in a process of its own, logging to a file."""

    def __init__(self, database_url: str, smtp_port: int, log_path: Path):
        self.log_path = log_path
        self.environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "BASE_URL": "http://jointly.test",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp_port),
            "MAIL_TIMEOUT": "5",
            "OUTBOX_POLL_SECONDS": "0.2",
            "OUTBOX_CLAIM_SECONDS": str(CLAIM_SECONDS),
        }
        self.process = None

    def start(self) -> "Worker":
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(FLASK), "--app", "app", "outbox", "worker"],
                cwd=ROOT,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 20) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def worker_factory(database_url, tmp_path):
    started = []

    def start(smtp_port: int) -> Worker:
        worker = Worker(database_url, smtp_port, tmp_path / "worker.log").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def statuses() -> dict[str, int]:
    db.session.expire_all()
    return dict(collections.Counter(db.session.scalars(sa.select(OutboxMail.status))))


def wait_for(condition, timeout: float, what: str, worker: Worker | None = None) -> None:
    """`wait_until`, saying on failure what was awaited, the outbox's statuses and the worker's log."""
    wait_until(condition, timeout, explain=lambda: f"{what}; {statuses()}\n{worker.log() if worker else ''}")


def sign_many(client, count: int) -> None:
    for n in range(count):
        assert sign(client, organisation=f"Org {n}", email=f"contact{n}@example.org").status_code == 303
    # The web side kept the sign-ons as sent and did nothing more: the worker decides and mails them.
    assert statuses() == {} and not signons_decided()


def worker_awaiting_the_answer_to(number: int, smtp, worker_factory) -> tuple[Worker, object]:
    """A worker whose mail `number` the server has, and whose answer the server holds back
    until the returned event is set."""
    release = smtp.inbox.hold_answer_to(number)
    worker = worker_factory(smtp.port)
    wait_for(lambda: len(smtp.inbox.messages) == number, 20, f"mail {number} reached the server", worker)
    return worker, release


def test_killed_mid_send_and_restarted_it_delivers_everything_copies_only_in_the_window(
    client, make_statement, smtp, worker_factory
):
    make_statement(slug="s")
    sign_many(client, 12)
    worker, release = worker_awaiting_the_answer_to(4, smtp, worker_factory)
    worker.signal(signal.SIGKILL)  # the server has the mail; the worker never learns it
    worker.wait()
    release.set()
    in_flight = smtp.inbox.messages[3]["Message-ID"]

    started = time.monotonic()
    restarted = worker_factory(smtp.port)
    wait_for(lambda: statuses() == {"sent": 12}, 20, "every mail sent", restarted)
    # The mail in flight waited for its claim to run out (OUTBOX_CLAIM_SECONDS), no longer.
    assert time.monotonic() - started < CLAIM_SECONDS + 10
    received = collections.Counter(message["Message-ID"] for message in smtp.inbox.messages)
    assert set(received) == {mail.message_id for mail in outbox_mails()}  # every mail delivered
    copies = {message_id: n for message_id, n in received.items() if n > 1}
    assert copies == {in_flight: 2}  # one kill, one copy: the mail between acceptance and our commit


def test_mail_queued_while_smtp_was_down_goes_out_after_a_restart(client, make_statement, worker_factory):
    port = free_port()  # nobody listens yet
    make_statement(slug="s")
    worker = worker_factory(port)
    sign(client)
    # The worker decides the sign-on (queuing its mail), then tries to send it.
    wait_for(lambda: [mail.attempts for mail in outbox_mails()] == [1], 20, "a failed attempt", worker)
    (mail,) = outbox_mails()
    assert mail.status == "queued" and "ConnectionRefusedError" in mail.last_error  # next try in a minute
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0

    smtp = SmtpServer(port=port).start()
    try:
        restarted = worker_factory(port)  # no new sign-on, no request: the restart alone sends it
        wait_for(lambda: statuses() == {"sent": 1}, 15, "the waiting mail sent", restarted)
        assert [message["To"] for message in smtp.inbox.messages] == ["sophea@example.org"]
    finally:
        smtp.stop()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_finishes_the_mail_in_hand_and_releases_the_rest(
    client, make_statement, smtp, worker_factory, signum
):
    make_statement(slug="s")
    sign_many(client, 5)
    worker, release = worker_awaiting_the_answer_to(2, smtp, worker_factory)
    worker.signal(signum)
    wait_for(lambda: f"{signum.name} received" in worker.log(), 10, "the signal noted", worker)
    release.set()
    assert worker.wait() == 0
    assert "stopped" in worker.log()
    assert statuses() == {"sent": 2, "queued": 3}  # none left claimed by a stopped worker
    assert len(smtp.inbox.messages) == 2
