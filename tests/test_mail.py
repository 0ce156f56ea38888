"""Mail through a real SMTP server on 127.0.0.1: confirmation, notices, decisions, withdrawal."""

import time

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from domain.tokens import make_token
from extensions import db
from models import Endorsement, ModerationEvent, OutboxMail
from tests.helpers import (
    body_of,
    csrf_from,
    link_in,
    list_items,
    mail_settings,
    outbox_mails,
    sign,
    text_of,
    wait_until,
)


@pytest.fixture
def app_config(smtp):
    return mail_settings(smtp)


def only_endorsement() -> Endorsement:
    db.session.expire_all()
    return db.session.scalars(sa.select(Endorsement)).one()


def press(client, path: str, **data):
    """Open a page and press its button, as a person would."""
    return client.post(path, data={"csrf_token": csrf_from(client.get(path)), **data})


def test_signon_sends_a_confirmation_mail_with_a_base_url_link(client, statement, smtp):
    sign(client)
    (message,) = smtp.inbox.wait_for(1)
    assert message["To"] == "sophea@example.org"
    assert message["Subject"] == 'Please confirm your endorsement of "Free the Press"'
    body = body_of(message)
    assert "Mekong Fishers Network (MFN) (Kratie)" in body
    assert "http://jointly.test/confirm/" in body and "http://jointly.test/manage/" in body
    assert "+855" not in body  # the phone, like other contact data, stays out of mail


def test_get_on_confirmation_link_changes_nothing_post_confirms(client, statement, smtp, make_moderator):
    make_moderator(email="watcher@example.org").notify_new_endorsements = True
    make_moderator(email="quiet@example.org")
    db.session.commit()
    sign(client)
    path = link_in(body_of(smtp.inbox.wait_for(1)[0]), "/confirm/")

    page = client.get(path)
    assert page.status_code == 200 and "Confirm" in page.get_data(as_text=True)
    assert only_endorsement().status == "unconfirmed"

    response = client.post(path, data={"csrf_token": csrf_from(page)})
    assert response.status_code == 200 and "confirmed" in response.get_data(as_text=True)
    endorsement = only_endorsement()
    assert endorsement.status == "pending" and endorsement.confirmed_at is not None

    notices = smtp.inbox.wait_for(2)[1:]
    assert [m["To"] for m in notices] == ["watcher@example.org"]
    assert f"/moderation/endorsements/{endorsement.id}" in body_of(notices[0])
    assert "sophea@example.org" not in body_of(notices[0])


def test_confirming_twice_is_harmless(client, statement, smtp):
    sign(client)
    path = link_in(body_of(smtp.inbox.wait_for(1)[0]), "/confirm/")
    token = csrf_from(client.get(path))
    client.post(path, data={"csrf_token": token})
    first = only_endorsement().confirmed_at
    assert "already confirmed" in client.get(path).get_data(as_text=True)
    again = client.post(path, data={"csrf_token": token})
    assert again.status_code == 200
    assert only_endorsement().confirmed_at == first
    assert (
        len(db.session.scalars(sa.select(ModerationEvent).where(ModerationEvent.action == "confirm")).all())
        == 1
    )


def expired_token(app, endorsement_id: int) -> str:
    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 8 * 86400

    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt="jointly.endorsement-link", signer=EightDaysAgo
    )
    return serializer.dumps({"id": endorsement_id, "purpose": "confirm"})


@pytest.mark.parametrize(
    "make_bad_token, status, message",
    [
        (lambda app, e: make_token(e, "confirm")[:-3] + "abc", 400, "not valid"),
        (lambda app, e: "garbage", 400, "not valid"),
        (lambda app, e: make_token(e, "manage"), 400, "meant for another page"),
        (expired_token, 410, "expired"),
    ],
    ids=["tampered", "garbage", "wrong-purpose", "expired"],
)
def test_bad_confirmation_tokens_get_a_clear_page(
    app, client, statement, make_endorsement, make_bad_token, status, message
):
    endorsement = make_endorsement(statement, status="unconfirmed")
    path = f"/confirm/{make_bad_token(app, endorsement.id)}"
    for response in (
        client.get(path),
        client.post(path, data={"csrf_token": csrf_from(client.get("/statements/s/sign"))}),
    ):
        assert response.status_code == status
        assert message in response.get_data(as_text=True)
    assert only_endorsement().status == "unconfirmed"


def test_approval_and_rejection_mails(client, statement, smtp, moderator_client, make_endorsement):
    accepted = make_endorsement(statement, organisation="Good Org", email="good@example.org")
    refused = make_endorsement(statement, organisation="Odd Org", email="odd@example.org")
    silent = make_endorsement(statement, organisation="Quiet Org", email="quiet@example.org")
    client.post(
        f"/moderation/endorsements/{accepted.id}/approve",
        data={"csrf_token": csrf_from(client.get("/moderation/"))},
    )
    client.post(
        f"/moderation/endorsements/{refused.id}/reject",
        data={
            "csrf_token": csrf_from(client.get("/moderation/")),
            "reason": "Not an organisation",
            "notify": "y",
        },
    )
    client.post(
        f"/moderation/endorsements/{silent.id}/reject",
        data={"csrf_token": csrf_from(client.get("/moderation/")), "reason": "Spam"},
    )

    smtp.inbox.wait_for(2)
    (published,) = smtp.inbox.to("good@example.org")
    assert "is published" in published["Subject"]
    assert "http://jointly.test/statements/s" in body_of(published)
    (rejected,) = smtp.inbox.to("odd@example.org")
    assert "was not accepted" in rejected["Subject"] and "Not an organisation" in body_of(rejected)
    assert smtp.inbox.to("quiet@example.org") == []


def test_withdrawal_through_the_link(client, statement, smtp, make_endorsement, make_moderator):
    make_moderator(email="watcher@example.org").notify_new_endorsements = True
    db.session.commit()
    endorsement = make_endorsement(
        statement, status="approved", organisation="Leaving Org", email="leave@example.org"
    )
    assert list_items(client.get("/statements/s").get_data(as_text=True)) == ["Leaving Org"]
    path = f"/manage/{make_token(endorsement.id, 'manage')}"

    page = client.get(path)
    assert "Withdraw" in page.get_data(as_text=True)
    assert only_endorsement().status == "approved"  # opening the link changes nothing

    response = client.post(f"{path}/withdraw", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    assert only_endorsement().status == "withdrawn"
    assert list_items(client.get("/statements/s").get_data(as_text=True)) == []
    (event,) = db.session.scalars(
        sa.select(ModerationEvent).where(ModerationEvent.action == "withdraw")
    ).all()
    assert event.before == {"status": "approved"} and event.moderator_id is None
    smtp.inbox.wait_for(2)
    assert "withdrawn" in smtp.inbox.to("leave@example.org")[0]["Subject"]
    assert "withdrawn" in smtp.inbox.to("watcher@example.org")[0]["Subject"]


def test_signing_again_mails_the_contact_and_reveals_nothing(client, statement, smtp):
    first = sign(client)
    first_thanks = client.get(first.headers["Location"]).get_data(as_text=True)
    second = sign(client)
    second_thanks = client.get(second.headers["Location"]).get_data(as_text=True)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert first_thanks == second_thanks and "sophea@example.org" in text_of(first_thanks)
    assert db.session.scalar(sa.select(sa.func.count(Endorsement.id))) == 1
    assert len(smtp.inbox.wait_for(2)) == 2


def test_a_repeat_of_an_unconfirmed_endorsement_mails_a_fresh_confirm_link(client, statement, smtp):
    """Someone who lost the first mail signs again and can still confirm."""
    sign(client)
    sign(client)
    repeat = smtp.inbox.wait_for(2)[1]
    assert repeat["Subject"] == 'Please confirm your endorsement of "Free the Press"'
    body = body_of(repeat)
    assert 'signed "Free the Press" again' in body and "waits for your confirmation" in body
    response = press(client, link_in(body, "/confirm/"))
    assert response.status_code == 200 and "confirmed" in response.get_data(as_text=True)
    assert only_endorsement().status == "pending"


def test_a_repeat_of_a_confirmed_endorsement_mails_its_status(client, statement, smtp):
    sign(client)
    press(client, link_in(body_of(smtp.inbox.wait_for(1)[0]), "/confirm/"))
    sign(client)
    repeat = smtp.inbox.wait_for(2)[1]
    assert repeat["Subject"] == 'Your endorsement of "Free the Press" is already recorded'
    body = body_of(repeat)
    assert "(status: waiting for review by a moderator)" in body and "/confirm/" not in body
    assert "/manage/" in body


def test_reply_to_and_signature_name_the_organisers(app, client, statement, smtp, make_moderator):
    app.config.update(ORGANISER_NAME="Free Press Coalition", ORGANISER_EMAIL="coalition@example.org")
    make_moderator(email="watcher@example.org").notify_new_endorsements = True
    db.session.commit()
    sign(client)
    (confirmation,) = smtp.inbox.wait_for(1)
    assert confirmation["Reply-To"] == "Free Press Coalition <coalition@example.org>"
    body = body_of(confirmation)
    assert 'sent by Jointly for Free Press Coalition, the publisher of "Free the Press"' in body
    assert "reply to this mail or write to coalition@example.org" in body

    # A statement's own publisher and contact come first.
    statement.publisher, statement.contact_email = "CENTRAL, Cambodia", "central@example.org"
    db.session.commit()
    press(client, link_in(body, "/confirm/"))
    notice = smtp.inbox.wait_for(2)[1]  # to the moderator: no Reply-To, the contact in the signature
    assert notice["To"] == "watcher@example.org" and notice["Reply-To"] is None
    assert "for CENTRAL, Cambodia, the publisher" in body_of(notice)
    assert "write to central@example.org" in body_of(notice)
    sign(client)
    repeat = smtp.inbox.wait_for(3)[2]
    assert repeat["Reply-To"] == '"CENTRAL, Cambodia" <central@example.org>'


def test_without_organisers_mails_have_no_reply_to(client, statement, smtp):
    sign(client)
    (message,) = smtp.inbox.wait_for(1)
    assert message["Reply-To"] is None
    assert 'sent by Jointly for the organisers of "Free the Press"' in body_of(message)


def test_submitted_names_are_quoted_as_data_never_as_our_words(client, statement, smtp, make_moderator):
    make_moderator(email="watcher@example.org").notify_new_endorsements = True
    db.session.commit()
    bait = "Acme - ACTION REQUIRED reply with your password"
    sign(client, organisation=bait, acronym="", location="", contact_name="Security Team")
    body = body_of(smtp.inbox.wait_for(1)[0])
    assert body.startswith("Dear Sir or Madam,")
    assert [line for line in body.splitlines() if bait in line] == [f"    > {bait}"]
    assert "Security Team" not in body  # the contact's name is not ours to write either
    press(client, link_in(body, "/confirm/"))
    notice = smtp.inbox.wait_for(2)[1]
    assert notice["Subject"] == f"New endorsement to review: “{bait}”"
    assert [line for line in body_of(notice).splitlines() if bait in line] == [f"    > {bait}"]


def test_at_most_five_mails_per_endorsement(client, statement, smtp):
    for _ in range(8):
        assert sign(client).status_code == 303
    assert only_endorsement().mails_sent == 5
    # Every mail leaves through the outbox, and the SMTP server has a mail before its sender
    # records it sent: once every queued row is sent, these five are all there will be.
    mails = wait_until(every_queued_mail_sent)
    assert [mail.recipient for mail in mails] == ["sophea@example.org"] * 5
    assert len(smtp.inbox.to("sophea@example.org")) == 5


def every_queued_mail_sent() -> list[OutboxMail]:
    """The outbox, once it holds mail and every one of them is sent."""
    mails = outbox_mails()
    return mails if all(mail.status == "sent" for mail in mails) else []


@pytest.mark.parametrize("email", ["a@example.org\r\nBcc: victim@example.org", "a@example.org\nSubject: hi"])
def test_headers_cannot_be_injected(client, statement, smtp, email):
    response = sign(client, email=email)
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 0
    assert smtp.inbox.messages == []


def test_permanent_failure_is_visible_to_moderators(client, statement, smtp, moderator_client):
    smtp.inbox.refuse.add("sophea@example.org")
    sign(client)
    (mail,) = outbox_mails("confirm_endorsement")
    assert mail.status == "failed" and "550" in mail.last_error
    page = client.get("/moderation/outbox").get_data(as_text=True)
    assert "SMTP error" in page and "550" in page
    assert "could not be delivered" in client.get("/moderation/").get_data(as_text=True)


def test_header_values_in_names_stay_in_the_body(client, statement, smtp):
    sign(client, organisation="Org Bcc: victim")
    (message,) = smtp.inbox.wait_for(1)
    assert message["Bcc"] is None and message["To"] == "sophea@example.org"
