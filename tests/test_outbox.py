"""The outbox: nothing is lost when SMTP is down, everything is delivered exactly once."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from domain.outbox import CLAIM_BATCH, background_sender, claim, deliver_due, select_due
from extensions import db
from models import Endorsement, OutboxMail, now_utc
from tests.helpers import VALID, csrf_from, signons_decided, wait_until
from tests.smtp import SmtpServer, free_port

SMTP_PORT = free_port()


@pytest.fixture
def app_config():
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": SMTP_PORT,
        "MAIL_SUPPRESS_SEND": False,
        "OUTBOX_DELIVERY": "background",
        "MAIL_TIMEOUT": 2,
    }


def test_smtp_down_then_outbox_send_delivers_each_mail_once(app, client, runner, make_statement):
    make_statement(slug="s")
    try:
        token = csrf_from(client.get("/statements/s/sign"))
        for n in range(20):
            data = {
                **VALID,
                "organisation": f"Org {n}",
                "email": f"contact{n}@example.org",
                "csrf_token": token,
            }
            assert client.post("/statements/s/sign", data=data).status_code == 303
        wait_until(signons_decided)
        assert db.session.scalar(sa.select(sa.func.count(Endorsement.id))) == 20
        background_sender(app).stop()  # let the thread finish its failed attempts first
        db.session.expire_all()
        statuses = db.session.scalars(sa.select(OutboxMail.status)).all()
        assert len(statuses) == 20 and set(statuses) <= {"queued"}

        server = SmtpServer(port=SMTP_PORT).start()
        try:
            first = runner.invoke(args=["outbox", "send"])
            second = runner.invoke(args=["outbox", "send"])
        finally:
            server.stop()
    finally:
        background_sender(app).stop()
    assert first.output.startswith("20 mail(s) sent") and second.output.startswith("0 mail(s) sent")
    recipients = sorted(m["To"] for m in server.inbox.messages)
    assert recipients == sorted(f"contact{n}@example.org" for n in range(20))


def test_console_delivery_without_mail_server(app, client, make_statement, moderator_client, caplog):
    app.config["MAIL_SERVER"] = ""
    app.config["OUTBOX_DELIVERY"] = "inline"
    make_statement(slug="s")
    token = csrf_from(client.get("/statements/s/sign"))
    with caplog.at_level("INFO", logger="jointly.outbox"):
        assert client.post("/statements/s/sign", data={**VALID, "csrf_token": token}).status_code == 303
    printed = caplog.text
    assert "Subject: Please confirm your endorsement" in printed and "/confirm/" in printed
    page = client.get("/moderation/outbox").get_data(as_text=True)
    assert "Please confirm your endorsement" in page and "/confirm/" in page


def queued_mails(count: int) -> list[int]:
    """Rows in the outbox that only the test's own calls send (their commit wakes no sender)."""
    current_app.config["OUTBOX_DELIVERY"] = "manual"
    mails = [
        OutboxMail(kind="test", recipient=f"r{n}@example.org", subject="s", body="b") for n in range(count)
    ]
    db.session.add_all(mails)
    db.session.commit()
    return [mail.id for mail in mails]


def test_each_mail_is_claimed_by_one_sender_and_a_dead_senders_claim_runs_out(app):
    ids = queued_mails(7)
    assert claim(db.session, ids, ignore_schedule=False) == ids
    assert claim(db.session, ids, ignore_schedule=False) == []  # another sender, at the same time, gets none
    assert list(db.session.scalars(select_due())) == []  # and does not even try them
    # The first sender died: once its claim runs out, the mails are due for the others.
    db.session.execute(
        sa.update(OutboxMail)
        .where(OutboxMail.id.in_(ids[:3]))
        .values(claimed_until=now_utc() - timedelta(seconds=1))
    )
    db.session.commit()
    assert list(db.session.scalars(select_due())) == ids[:3]
    assert claim(db.session, ids, ignore_schedule=False) == ids[:3]


def test_a_burst_is_claimed_in_batches_and_sent_once(app, caplog):
    app.config["MAIL_SERVER"] = ""  # logged: the console is the outbox's embedded default
    ids = queued_mails(2 * CLAIM_BATCH + 1)
    with caplog.at_level("INFO", logger="jointly.outbox"):
        assert deliver_due() == (len(ids), 0)
        assert deliver_due() == (0, 0)
    printed = [record.getMessage().splitlines()[0] for record in caplog.records]
    assert sorted(printed) == sorted(
        f"mail to r{n}@example.org (no MAIL_SERVER: not sent)" for n in range(len(ids))
    )
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(OutboxMail.status))) == {"sent"}


def test_a_commit_with_mail_wakes_the_sender_and_one_without_does_not(app, make_statement):
    sender = background_sender(app)
    server = SmtpServer(port=SMTP_PORT).start()
    try:
        wakes = sender.wakes
        make_statement()  # a commit without mail
        assert sender.wakes == wakes
        db.session.add(OutboxMail(kind="test", recipient="woken@example.org", subject="s", body="b"))
        db.session.commit()  # nobody calls the sender: the commit itself wakes it
        assert sender.wakes == wakes + 1
        assert [m["To"] for m in server.inbox.wait_for(1)] == ["woken@example.org"]
        db.session.rollback()
        db.session.add(OutboxMail(kind="test", recipient="gone@example.org", subject="s", body="b"))
        db.session.flush()
        db.session.rollback()  # mail queued, then rolled back: nothing to wake for
        make_statement()
        assert sender.wakes == wakes + 1
    finally:
        sender.stop()
        server.stop()
