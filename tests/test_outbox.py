"""The outbox: nothing is lost when SMTP or the database fails, a mail is sent again only in
the window the README states, and its outcomes are logged without addresses or links."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from domain.notifications import PersonalLink, mail_endorser
from domain.outbox import CLAIM_BATCH, Sender, background_sender, claim, deliver_due, select_due
from domain.tokens import MANAGE, read_token
from extensions import db
from models import Endorsement, OutboxMail, now_utc
from tests.helpers import VALID, csrf_from, link_in, outbox_mails, parse, sign, signons_decided, wait_until
from tests.smtp import SmtpServer, free_port


@pytest.fixture
def smtp_port() -> int:
    """A port for this test's SMTP server, taken just before the test (a port picked when the
    module was imported may belong to another server by the time the test runs)."""
    return free_port()


@pytest.fixture
def app_config(smtp_port):
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_SUPPRESS_SEND": False,
        "OUTBOX_DELIVERY": "background",
        "MAIL_TIMEOUT": 2,
    }


@pytest.fixture
def smtp(smtp_port):
    server = SmtpServer(port=smtp_port).start()
    yield server
    server.stop()


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

        server = SmtpServer(port=app.config["MAIL_PORT"]).start()
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


def test_an_unreachable_server_costs_one_attempt_per_run_not_one_per_mail(app):
    ids = queued_mails(CLAIM_BATCH + 2)
    assert deliver_due() == (0, 1)  # nobody listens on MAIL_PORT
    db.session.expire_all()
    mails = [db.session.get(OutboxMail, mail_id) for mail_id in ids]
    assert [mail.attempts for mail in mails] == [1] + [0] * (len(ids) - 1)
    assert {mail.status for mail in mails} == {"queued"} and {m.claimed_by for m in mails} == {None}
    assert list(db.session.scalars(select_due())) == ids[1:]  # the others were released, still due


@pytest.mark.parametrize("console_links", [True, False])
def test_console_delivery_without_mail_server(
    app, client, make_statement, moderator_client, caplog, console_links
):
    app.config.update(MAIL_SERVER="", OUTBOX_DELIVERY="inline", MAIL_CONSOLE_LINKS=console_links)
    make_statement(slug="s")
    with caplog.at_level("INFO", logger="jointly.outbox"):
        assert sign(client).status_code == 303
    printed = caplog.text
    if console_links:  # `make run` on a laptop: the newcomer follows the link from the console
        assert "To: sophea@example.org" in printed and "Subject: Please confirm your endorsement" in printed
        path = link_in(printed, "/confirm/")
        assert "confirmed" in client.post(path, data={"csrf_token": csrf_from(client.get(path))}).text
    else:  # a server's log is read by others: no address, no link
        assert "not sent: no MAIL_SERVER" in printed
        assert "sophea@example.org" not in printed and "/confirm/" not in printed
    page = client.get("/moderation/outbox")
    mail_text = parse(page).find("pre", class_="mail-body").get_text()
    assert "Please confirm your endorsement" in text_of_page(page)
    assert "/confirm/…?lang=en" in mail_text and "/manage/…?lang=en" in mail_text


def text_of_page(page) -> str:
    return " ".join(parse(page).get_text(" ").split())


def queued_mails(count: int, **fields) -> list[int]:
    """Rows in the outbox that only the test's own calls send (their commit wakes no sender)."""
    current_app.config["OUTBOX_DELIVERY"] = "manual"
    mails = [
        OutboxMail(kind="test", recipient=f"r{n}@example.org", subject="s", body="b", **fields)
        for n in range(count)
    ]
    db.session.add_all(mails)
    db.session.commit()
    return [mail.id for mail in mails]


def test_each_mail_is_claimed_by_one_sender_and_a_dead_senders_claim_runs_out(app):
    ids = queued_mails(7)
    assert claim(db.session, ids, "first") == ids
    assert claim(db.session, ids, "second") == []  # another sender, at the same time, gets none
    assert list(db.session.scalars(select_due())) == []  # and does not even try them
    # The first sender died: once its claim runs out, the mails are due for the others.
    db.session.execute(
        sa.update(OutboxMail)
        .where(OutboxMail.id.in_(ids[:3]))
        .values(claimed_until=now_utc() - timedelta(seconds=1))
    )
    db.session.commit()
    assert list(db.session.scalars(select_due())) == ids[:3]
    assert claim(db.session, ids, "second") == ids[:3]


def test_claims_last_about_a_minute(app):
    (mail_id,) = queued_mails(1)
    claim(db.session, [mail_id], "a sender")
    mail = db.session.get(OutboxMail, mail_id)
    assert timedelta(seconds=50) < mail.claimed_until - now_utc() <= timedelta(seconds=60)


def test_a_burst_is_claimed_in_batches_and_sent_once(app, caplog):
    app.config["MAIL_SERVER"] = ""  # logged: the console is the outbox's embedded default
    ids = queued_mails(2 * CLAIM_BATCH + 1)
    with caplog.at_level("INFO", logger="jointly.outbox"):
        assert deliver_due() == (len(ids), 0)
        assert deliver_due() == (0, 0)
    printed = [record.getMessage() for record in caplog.records]
    assert sorted(printed) == sorted(
        f"mail {n} (test) kept in the outbox, not sent: no MAIL_SERVER" for n in ids
    )
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(OutboxMail.status))) == {"sent"}


def test_rows_held_by_a_database_error_are_written_down_and_released_at_once(app, smtp):
    """The database fails right after the SMTP server accepted a mail: the sender keeps what it
    knows and, on its next run, marks that mail sent (not sending it again) and releases the
    rows it had claimed, instead of leaving them for minutes."""
    ids = queued_mails(3)
    failures = []

    def fail_once(_connection, _cursor, statement, *_args):
        if statement.startswith("UPDATE outbox SET status") and "sent_at" in statement and not failures:
            failures.append(statement)
            raise sa.exc.OperationalError(statement, {}, ConnectionError("the database went away"))

    sender = Sender()
    sa.event.listen(db.engine, "before_cursor_execute", fail_once)
    try:
        assert sender.deliver_due() == (0, 0)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", fail_once)
    assert failures and not sender.database_ok and not sender.settled
    assert len(smtp.inbox.messages) == 1
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(OutboxMail.status))) == {"sending"}

    assert sender.deliver_due() == (3, 0)  # the next run, a second later in the worker
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(OutboxMail.status))) == {"sent"}
    received = [message["Message-ID"] for message in smtp.inbox.messages]
    assert sorted(received) == sorted(db.session.get(OutboxMail, n).message_id for n in ids)


def test_outcomes_are_logged_without_addresses_or_links(app, client, make_statement, caplog):
    app.config["OUTBOX_DELIVERY"] = "inline"
    make_statement(slug="s")
    with caplog.at_level("INFO", logger="jointly"):
        server = SmtpServer(port=app.config["MAIL_PORT"]).start()
        server.inbox.refuse.add("refused@example.org")
        try:
            sign(client)
            sign(client, organisation="Refused Org", email="refused@example.org")
        finally:
            server.stop()
        sign(client, organisation="Later Org", email="later@example.org")  # nobody listens
        server = SmtpServer(port=app.config["MAIL_PORT"]).start()
        try:
            Sender().deliver_due(retry_now=True)
        finally:
            server.stop()
    lines = [record.getMessage() for record in caplog.records]
    ids = [mail.id for mail in outbox_mails()]
    assert f"mail {ids[0]} (confirm_endorsement) sent" in lines
    assert f"mail {ids[1]} (confirm_endorsement) failed for good: SMTPRecipientsRefused" in lines
    assert (
        f"mail {ids[2]} (confirm_endorsement) not delivered: ConnectionRefusedError; retry 1 in 1 min"
        in lines
    )
    assert f"mail {ids[2]} (confirm_endorsement) sent after 1 failed attempt(s)" in lines
    logged = "\n".join(lines)
    assert "@example.org" not in logged and "/confirm/" not in logged and "/manage/" not in logged


def test_a_commit_with_mail_wakes_the_sender_and_one_without_does_not(app, make_statement, smtp):
    sender = background_sender(app)
    try:
        wakes = sender.wakes
        make_statement()  # a commit without mail
        assert sender.wakes == wakes
        db.session.add(OutboxMail(kind="test", recipient="woken@example.org", subject="s", body="b"))
        db.session.commit()  # nobody calls the sender: the commit itself wakes it
        assert sender.wakes == wakes + 1
        assert [m["To"] for m in smtp.inbox.wait_for(1)] == ["woken@example.org"]
        db.session.rollback()
        db.session.add(OutboxMail(kind="test", recipient="gone@example.org", subject="s", body="b"))
        db.session.flush()
        db.session.rollback()  # mail queued, then rolled back: nothing to wake for
        make_statement()
        assert sender.wakes == wakes + 1
    finally:
        sender.stop()


def test_a_restarted_process_sends_what_waits_on_its_first_request(app, client, smtp):
    queued_mails(2)
    app.config["OUTBOX_DELIVERY"] = "background"
    try:
        client.get("/ping")  # no new mail: the first request starts the sender
        assert len(smtp.inbox.wait_for(2)) == 2
    finally:
        background_sender(app).stop()


def test_in_worker_mode_web_processes_only_queue(app, client, make_statement, smtp):
    app.config["OUTBOX_DELIVERY"] = "worker"
    make_statement(slug="s")
    assert sign(client).status_code == 303
    assert "jointly_outbox" not in app.extensions  # no thread was started
    assert (
        not signons_decided() and outbox_mails() == [] and smtp.inbox.messages == []
    )  # kept, for the worker


def test_a_personal_link_is_signed_when_sent_and_stored_nowhere(app, client, make_statement, smtp):
    app.config["OUTBOX_DELIVERY"] = "inline"
    make_statement(slug="s")
    sign(client)
    (mail,) = outbox_mails()
    (message,) = smtp.inbox.wait_for(1)
    body = message.get_body(("plain",)).get_content()
    token = link_in(body, "/manage/").split("/")[2].split("?")[0]
    assert read_token(token, MANAGE) == mail.endorsement_id
    assert token not in mail.body and "/manage/link-" in mail.body
    assert message["Message-ID"] == mail.message_id


def test_what_statement_updates_need_headers_with_links_uncounted_mail_a_send_time(
    app, make_statement, make_endorsement, smtp, runner
):
    """Issue 17.2's update mails are built on these, with no change to the outbox."""
    app.config["OUTBOX_DELIVERY"] = "manual"
    endorsement = make_endorsement(make_statement(slug="s"), mails_sent=5)  # the cap is reached
    update = {
        "links": {"unsubscribe_url": PersonalLink("public.manage", MANAGE)},
        "headers": {
            "List-Unsubscribe": "<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        "public_url": "http://jointly.test/statements/s",
    }
    for send_at in (None, now_utc() + timedelta(hours=1)):  # now, and paced for later
        assert mail_endorser("endorsement_published", endorsement, counted=False, send_at=send_at, **update)
    assert mail_endorser("endorsement_published", endorsement, public_url="x") is None  # counted: capped
    db.session.commit()
    assert endorsement.mails_sent == 5
    assert "/manage/link-" in outbox_mails()[0].headers["List-Unsubscribe"]  # stored: no working link

    assert runner.invoke(args=["outbox", "send"]).output.startswith("1 mail(s) sent")  # the later one waits
    (message,) = smtp.inbox.wait_for(1)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = message["List-Unsubscribe"].strip("<>").split("/manage/")[1].split("?")[0]
    assert read_token(token, MANAGE) == endorsement.id
    assert [mail.status for mail in outbox_mails()] == ["sent", "queued"]
