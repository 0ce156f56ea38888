"""Issue 17.2: admins write an update about a statement, see it and its recipients, and send it
once, paced, to the confirmed endorsers who asked for news, each in their language, through the
outbox and a real SMTP server."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import ConfigError
from domain import RuleError
from domain.tokens import UNSUBSCRIBE, read_token
from domain.updates import send_update
from extensions import db
from models import Endorsement, Moderator, OutboxMail, StatementTranslation, StatementUpdate, now_utc
from tests.helpers import (
    body_of,
    events,
    mail_settings,
    make_test_app,
    outbox_mails,
    parse,
    post_button,
    send_update_by_page,
    text_of,
    unsubscribe_path,
    write_update,
)

KM_TITLE = "សេរីភាពសារព័ត៌មាន"
ENGLISH = {
    "subject_en": "The statement was delivered",
    "body_en": "We **delivered** it.\n\n- to the Ministry",
}
KHMER = {"subject_km": "សេចក្តីថ្លែងការណ៍ត្រូវបានប្រគល់ហើយ", "body_km": "យើងបានប្រគល់វា។"}


@pytest.fixture
def app_config(smtp):
    # Fast enough that every mail is due when the inline sender runs; the pace has its own test.
    return {**mail_settings(smtp), "MAIL_RATE_PER_MINUTE": 6_000_000}


@pytest.fixture
def statement(statement):
    """The shared fixture's statement, with its title in Khmer."""
    db.session.add(StatementTranslation(statement=statement, language="km", title=KM_TITLE))
    db.session.commit()
    return statement


@pytest.fixture
def endorsers(statement, make_endorsement):
    """One of each: who asked for news and may get it, and everyone who must not."""

    def make(name, status="approved", **fields):
        fields.setdefault("wants_updates", True)
        fields.setdefault("email", f"{name}@example.org")
        return make_endorsement(statement, status, organisation=name, **fields)

    return {
        "en": make("english", "pending", language="en"),
        "km": make("khmer", language="km"),
        "not_opted": make("quiet", wants_updates=False),
        "withdrawn": make("withdrawn", "withdrawn"),
        "unconfirmed": make("unconfirmed", "unconfirmed"),
        "rejected": make("rejected", "rejected"),
        "suspected": make("suspected", "suspected"),
        "purged": make("purged", email=None, contact_name=None),
        # Received by phone: pending, but nobody proved the address.
        "received": make("received", "pending", confirmed_at=None, source="phone"),
        # The English contact signed for a second organisation: one mail to the address, not two.
        "same_address": make("second", email="ENGLISH@example.org"),
    }


def plain(message) -> str:
    """A received mail's text with the line ends it was written with (SMTP carries CR LF)."""
    return body_of(message).replace("\r\n", "\n")


def the_update() -> StatementUpdate:
    db.session.expire_all()
    return db.session.scalars(sa.select(StatementUpdate)).one()


def test_an_update_reaches_exactly_the_confirmed_endorsers_who_asked_each_in_their_language(
    admin_client, statement, endorsers, smtp
):
    body = ENGLISH["body_en"] + "\n\n<script>alert(1)</script>"
    response = write_update(admin_client, statement.id, **{**ENGLISH, "body_en": body}, **KHMER)
    assert response.status_code == 303
    update = the_update()
    page = admin_client.get(response.headers["Location"])
    preview = parse(page).find("section", attrs={"lang": "en"}).find("div", class_="statement-body")
    assert preview.find("strong").get_text() == "delivered" and preview.find("script") is None
    assert "2 endorsers will get this update." in text_of(page)
    assert outbox_mails() == [] and smtp.inbox.messages == []  # a preview sends nothing

    response = send_update_by_page(admin_client, update.id)
    assert "Sending to 2 endorsers" in text_of(admin_client.get(response.headers["Location"]))
    received = {message["To"]: message for message in smtp.inbox.wait_for(2)}
    assert sorted(received) == ["english@example.org", "khmer@example.org"]
    english, khmer = received["english@example.org"], received["khmer@example.org"]
    assert english["Subject"] == ENGLISH["subject_en"] and khmer["Subject"] == KHMER["subject_km"]
    assert plain(english).startswith(body)  # plain text: the Markdown as the admin wrote it
    assert plain(khmer).startswith(KHMER["body_km"]) and "You get this mail" not in plain(khmer)
    for message in (english, khmer):  # RFC 8058, with a working token made at send time
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        token = unsubscribe_path(message).split("/")[2].split("?")[0]
        assert read_token(token, UNSUBSCRIBE) in {endorsers["en"].id, endorsers["km"].id}
        assert unsubscribe_path(message) in plain(message)

    mails = outbox_mails(kind="statement_update")
    assert [mail.update_id for mail in mails] == [update.id, update.id]
    assert all("/unsubscribe/link-" in mail.headers["List-Unsubscribe"] for mail in mails)  # no token at rest
    assert db.session.scalars(sa.select(Endorsement.mails_sent)).all() == [0] * len(endorsers)  # uncounted
    (sent,) = events("update_sent")
    assert sent.after == {"update": update.id, "recipients": 2} and sent.statement_id == statement.id


def test_the_statements_own_language_stands_in_for_a_missing_translation(
    admin_client, statement, endorsers, smtp
):
    update_id = the_update_written(admin_client, statement)
    page = text_of(admin_client.get(f"/moderation/admin/updates/{update_id}"))
    assert "they get the text in English" in page
    send_update_by_page(admin_client, update_id)
    khmer = next(m for m in smtp.inbox.wait_for(2) if m["To"] == "khmer@example.org")
    assert khmer["Subject"] == ENGLISH["subject_en"]
    assert "You get this mail" not in plain(khmer)  # our own words stay in their language


def the_update_written(admin_client, statement, texts=ENGLISH) -> int:
    assert write_update(admin_client, statement.id, **texts).status_code == 303
    return db.session.scalars(sa.select(StatementUpdate.id).order_by(StatementUpdate.id.desc())).first()


def test_sending_twice_is_refused(admin_client, statement, endorsers, smtp):
    update_id = the_update_written(admin_client, statement)
    stale = db.session.get(StatementUpdate, update_id)  # loaded before the send, as by a second admin
    send_update_by_page(admin_client, update_id)
    again = send_update_by_page(admin_client, update_id)
    assert "already been sent" in text_of(admin_client.get(again.headers["Location"]))
    edit = admin_client.get(f"/moderation/admin/updates/{update_id}/edit")
    assert edit.status_code == 302 and "already been sent" in text_of(
        admin_client.get(edit.headers["Location"])
    )

    # Pressed at the same moment: that admin's copy still says "not sent"; the database refuses.
    assert not stale.is_sent
    with pytest.raises(RuleError, match="already been sent"):
        send_update(stale, db.session.scalars(sa.select(Moderator)).one())
    db.session.rollback()
    assert len(outbox_mails(kind="statement_update")) == 2 and len(events("update_sent")) == 1


def test_an_update_with_nobody_to_get_it_is_not_sent(admin_client, statement, make_endorsement, smtp):
    make_endorsement(statement, "approved", wants_updates=False)
    update_id = the_update_written(admin_client, statement)
    assert "0 endorsers will get this update." in text_of(
        admin_client.get(f"/moderation/admin/updates/{update_id}")
    )
    response = send_update_by_page(admin_client, update_id)
    assert "Nobody would get this update" in text_of(admin_client.get(response.headers["Location"]))
    assert the_update().sent_at is None and outbox_mails() == []


def test_the_pace_and_the_progress(app, admin_client, statement, make_endorsement, runner):
    app.config.update(MAIL_RATE_PER_MINUTE=2, OUTBOX_DELIVERY="manual")
    for n in range(5):
        make_endorsement(
            statement, "approved", organisation=f"Org {n}", email=f"r{n}@example.org", wants_updates=True
        )
    before = now_utc()
    send_update_by_page(admin_client, the_update_written(admin_client, statement))
    times = [mail.next_attempt_at for mail in outbox_mails(kind="statement_update")]
    assert before <= times[0] <= now_utc()
    # Two a minute, evenly spaced: each mail 30 s after the one before, a minute after the one two before.
    assert [b - a for a, b in zip(times, times[1:], strict=False)] == [timedelta(seconds=30)] * 4
    assert [b - a for a, b in zip(times, times[2:], strict=False)] == [timedelta(minutes=1)] * 3

    # A second update sent meanwhile waits its turn, so the pace holds across updates.
    send_update_by_page(
        admin_client, the_update_written(admin_client, statement, {**ENGLISH, "subject_en": "Second"})
    )
    second = [mail.next_attempt_at for mail in outbox_mails(kind="statement_update")][5:]
    assert second[0] == times[-1] + timedelta(seconds=30)

    result = runner.invoke(args=["outbox", "send"])  # the first mail is due; the others keep their time
    assert result.output.startswith("1 mail(s) sent")
    first_id = db.session.scalars(sa.select(StatementUpdate.id).order_by(StatementUpdate.id)).first()
    page = parse(admin_client.get(f"/moderation/admin/updates/{first_id}"))
    counts = {name: page.find(id=f"progress-{name}").get_text() for name in ("queued", "sent", "failed")}
    assert counts == {"queued": "4", "sent": "1", "failed": "0"}


def test_progress_counts_failed_mails(admin_client, statement, endorsers, smtp):
    smtp.inbox.refuse.add("khmer@example.org")
    update_id = the_update_written(admin_client, statement)
    send_update_by_page(admin_client, update_id)
    page = parse(admin_client.get(f"/moderation/admin/updates/{update_id}"))
    counts = {name: page.find(id=f"progress-{name}").get_text() for name in ("queued", "sent", "failed")}
    assert counts == {"queued": "0", "sent": "1", "failed": "1"}
    assert [m["To"] for m in smtp.inbox.messages] == ["english@example.org"]


def test_moderators_who_are_not_admins_get_403(moderator_client, statement, admin_client):
    update_id = the_update_written(admin_client, statement)
    for path in ("/", f"/new/{statement.id}", f"/{update_id}", f"/{update_id}/edit"):
        assert moderator_client.get(f"/moderation/admin/updates{path}").status_code == 403
    response = post_button(moderator_client, f"/moderation/admin/updates/{update_id}/send")
    assert response.status_code == 403 and the_update().sent_at is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"subject_en": "  "}, "subject_en", "Please give a subject."),
        ({"body_en": ""}, "body_en", "Please write the text of the update."),
        ({"subject_en": "News\x07 today"}, "subject_en", "invisible control characters"),
        ({"subject_en": "News\u2028Bcc: x@example.org"}, "subject_en", "start a new line"),
        ({"body_en": "Text \x00 here"}, "body_en", "invisible control characters"),
        (
            {"body_en": "x" * 20_001},
            "body_en",
            "Please shorten this to 20000 characters or fewer; it has 20001.",
        ),
        (
            {"subject_en": "s" * 201},
            "subject_en",
            "Please shorten this to 200 characters or fewer; it has 201.",
        ),
        ({"subject_km": "ព័ត៌មាន"}, "body_km", "both a subject and a text in this language, or neither"),
    ],
)
def test_bad_input_gets_a_message_and_stores_nothing(admin_client, statement, changes, field, message):
    response = write_update(admin_client, statement.id, **{**ENGLISH, **changes})
    assert response.status_code == 422
    page = parse(response)
    assert message in page.find(id=f"{field}-error").get_text()
    assert db.session.scalars(sa.select(StatementUpdate)).all() == []
    if field != "body_en" or len(changes["body_en"]) < 100:  # what was typed is kept
        assert (
            page.find(attrs={"name": "subject_en"})["value"] == {**ENGLISH, **changes}["subject_en"].strip()
        )


def test_an_update_can_be_edited_until_it_is_sent(admin_client, statement, endorsers, smtp):
    update_id = the_update_written(admin_client, statement)
    page = admin_client.get(f"/moderation/admin/updates/{update_id}/edit")
    assert parse(page).find(attrs={"name": "subject_en"})["value"] == ENGLISH["subject_en"]
    token = parse(page).find(attrs={"name": "csrf_token"})["value"]
    changed = {**ENGLISH, "subject_en": "Delivered, and answered", "csrf_token": token}
    assert admin_client.post(f"/moderation/admin/updates/{update_id}/edit", data=changed).status_code == 303
    send_update_by_page(admin_client, update_id)
    assert {m["Subject"] for m in smtp.inbox.wait_for(2)} == {"Delivered, and answered"}
    assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 2


@pytest.mark.parametrize("value", ["0", "-5", "fast"])
def test_the_pace_must_be_a_whole_number_above_zero(database_url, monkeypatch, value):
    monkeypatch.setenv("MAIL_RATE_PER_MINUTE", value)
    with pytest.raises(ConfigError, match="MAIL_RATE_PER_MINUTE"):
        make_test_app(database_url)
