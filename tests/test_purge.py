"""Issue 14.3: `retention purge` erases contact data everywhere a person can have written it,
and keeps the public list. The test writes the contact's name, email and phone into every
place an endorser or a moderator can, purges, then reads every text column of every table."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from domain.tokens import make_token
from domain.updates import save_update, send_update
from extensions import db, limiter
from models import Endorsement, Moderator, NameCorrection, Statement, now_utc
from tests.helpers import (
    VALID,
    confirm_by_mail,
    csrf_from,
    list_items,
    outbox_mails,
    post_button,
    sign,
    signons_decided,
    stored_texts,
    wait_until,
)

NAME, EMAIL, PHONE = "Sok Dara", "sokdara.contact@example.net", "+855 12 999 888"
TRACES = (NAME, EMAIL, PHONE, "sokdara")
CONTACT = {
    "contact_name": NAME,
    "email": EMAIL,
    "phone": PHONE,
    "message": f"Call {NAME} on {PHONE} or {EMAIL}",
}


def everything_written(client, moderator) -> None:
    """Every place, through the pages people use."""
    assert sign(client, "old", updates="y", **CONTACT).status_code == 303
    wait_until(signons_decided)
    confirm_by_mail(client, EMAIL)
    endorsement = db.session.scalars(sa.select(Endorsement).where(Endorsement.email == EMAIL)).one()
    manage = f"/manage/{make_token(endorsement.id, 'manage')}"
    note = f"please ask {NAME}, {PHONE}, {EMAIL}"
    client.post(
        f"{manage}/correct",
        data={"organisation": "Renamed Org", "note": note, "csrf_token": csrf_from(client.get(manage))},
    )
    moderator.post(
        f"/moderation/endorsements/{endorsement.id}/notes",
        data={"body": note, "csrf_token": csrf_from(moderator.get("/moderation/"))},
    )
    correction = db.session.scalars(NameCorrection.select_waiting()).one()
    post_button(
        moderator, f"/moderation/corrections/{correction.id}/decline", reason=f"asked {NAME} by phone"
    )
    post_button(moderator, f"/moderation/endorsements/{endorsement.id}/approve")
    author = db.session.scalars(sa.select(Moderator)).one()
    news = save_update(endorsement.statement, {"en": {"subject": "News", "body": "Delivered."}}, author)
    send_update(news, author)  # the update mail names the contact as its recipient
    db.session.commit()
    unsubscribe = f"/unsubscribe/{make_token(endorsement.id, 'unsubscribe')}"
    client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    received = {**VALID, **CONTACT, "organisation": "Received Org", "statement_id": "1", "source": "phone"}
    moderator.post(
        "/moderation/endorsements/new",
        data={**received, "csrf_token": csrf_from(moderator.get("/moderation/endorsements/new"))},
    )
    other = db.session.scalars(sa.select(Endorsement).where(Endorsement.organisation == "Received Org")).one()
    post_button(
        moderator,
        f"/moderation/endorsements/{other.id}/reject",
        reason=f"{NAME} ({EMAIL}) was not authorised",
        notify="y",
    )


def traces_left() -> list[str]:
    """Every text or JSON value in the database that holds the contact's name, email or phone."""
    return [
        f"{place}: {value[:80]}" for place, value in stored_texts() if any(trace in value for trace in TRACES)
    ]


@pytest.fixture
def old_statement(make_statement):
    return make_statement(slug="old", title="An old statement")


def test_purge_erases_the_contact_everywhere_and_keeps_the_list(
    app, limited_client, old_statement, make_moderator, auth, runner
):
    limited_client.application.config["SIGNON_MIN_SECONDS"] = 0
    moderator = app.test_client()
    make_moderator()
    type(auth)(moderator).login()
    everything_written(limited_client, moderator)
    before = traces_left()
    assert {place.split(":")[0] for place in before} >= {
        "endorsements.contact_name", "endorsements.email", "endorsements.phone", "endorsements.message",
        "endorsements.rejection_reason", "moderator_notes.body", "name_corrections.note",
        "name_corrections.decline_reason", "moderation_events.note", "moderation_events.after",
        "outbox.recipient", "outbox.body",
    }  # fmt: skip
    assert [str(key) for key in limiter.storage.storage if ":old/" in str(key)]  # the sign-on was counted
    assert [mail.recipient for mail in outbox_mails(kind="statement_update")] == [EMAIL]
    old_statement.status, old_statement.closed_at = "closed", now_utc() - timedelta(days=200)
    db.session.commit()

    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0 and "2 endorsement(s) anonymised" in result.output
    db.session.expire_all()
    assert traces_left() == []
    assert [str(key) for key in limiter.storage.storage if ":old/" in str(key)] == []
    assert list_items(moderator.get("/statements/old")) == ["Mekong Fishers Network (MFN) (Kratie)"]
    assert db.session.scalar(sa.select(Statement.status)) == "closed"
    assert outbox_mails() == []
