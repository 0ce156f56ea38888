"""Mail in the endorser's language: every mail to an endorser who signed in Khmer is in Khmer,
whoever's request sends it, through a real SMTP server; moderators get theirs in the default
language."""

import re

import pytest
import sqlalchemy as sa

from domain import notifications
from extensions import db
from models import Endorsement, OutboxMail, StatementTranslation
from tests.helpers import VALID, body_of, csrf_from, link_in, mail_settings, outbox_mails, sign
from tests.khmer import PREY_LANG_KM, km, page_language

KM_TITLE = "សេរីភាពសារព័ត៌មាន"


@pytest.fixture
def statement(statement):
    """The shared fixture's statement, "Free the Press", with its title in Khmer."""
    db.session.add(StatementTranslation(statement=statement, language="km", title=KM_TITLE))
    db.session.commit()
    return statement


def test_every_mail_to_a_khmer_endorser_is_in_khmer(app, statement, make_endorsement):
    endorsement = make_endorsement(
        statement, organisation="Prey Lang Community", organisation_km=PREY_LANG_KM, language="km"
    )
    endorsement.rejection_reason = "Duplicate"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):  # an English request
        for notify in (
            notifications.notify_endorser_to_confirm,
            notifications.notify_endorser_of_repeat_signon,
            notifications.notify_endorser_that_endorsement_is_published,
            notifications.notify_endorser_that_endorsement_is_rejected,
            notifications.notify_endorser_that_endorsement_is_withdrawn,
        ):
            notify(endorsement)
        db.session.commit()
    mails = outbox_mails(to=endorsement.email)
    assert len(mails) == 5
    for mail in mails:
        assert f"«{KM_TITLE}»" in mail.subject, mail.kind
        assert km("Dear Sir or Madam,") in mail.body
        assert f"{PREY_LANG_KM} (Prey Lang Community)" in mail.body
        assert "?lang=km" in mail.body  # their links open in Khmer too
        english = re.sub(r"https?://\S+|Prey Lang Community|Sok Dara|Jointly|Duplicate", "", mail.body)
        assert not re.search(r"[A-Za-z]{4,}", english), f"English left in {mail.kind}: {english}"


class TestMailInTheEndorsersLanguage:
    """Through a real SMTP server: signed in Khmer, confirmed and approved by English requests."""

    @pytest.fixture
    def app_config(self, smtp):
        return mail_settings(smtp)

    @pytest.fixture
    def signed_in_khmer(self, smtp, statement, make_moderator, moderator_client):
        """A sign-on from a Khmer browser, a moderator watching for new ones; the endorsement
        and its confirmation mail."""
        watcher = make_moderator(email="watcher@example.org")
        watcher.notify_new_endorsements = True
        db.session.commit()

        # The moderator's browser (the app context is shared by test clients, so one client
        # plays both people; the cookie is what tells them apart here).
        moderator_client.set_cookie("lang", "km")
        assert sign(moderator_client, organisation_km=PREY_LANG_KM).status_code == 303
        endorsement = db.session.scalar(sa.select(Endorsement))
        assert endorsement.language == "km"
        (confirmation,) = smtp.inbox.wait_for(1)
        return endorsement, confirmation

    def test_the_confirmation_mail_is_in_khmer(self, signed_in_khmer):
        _, confirmation = signed_in_khmer
        assert confirmation["Subject"] == km('Please confirm your endorsement of "%(title)s"', title=KM_TITLE)
        body = body_of(confirmation)
        assert km("Dear Sir or Madam,") in body
        assert f"{PREY_LANG_KM} (Mekong Fishers Network) (MFN) (Kratie)" in body
        press = (
            "Please confirm that this email address belongs to you. "
            'Open this link and press the "Confirm" button:'
        )
        assert km(press) in body and press not in body

    def test_confirmed_and_approved_by_english_requests_the_mails_stay_in_khmer(
        self, signed_in_khmer, smtp, moderator_client
    ):
        endorsement, confirmation = signed_in_khmer
        # Opened in an English browser: the link itself asks for Khmer.
        moderator_client.set_cookie("lang", "en")
        path = link_in(body_of(confirmation), "/confirm/")
        page = moderator_client.get(path)
        assert page_language(page) == "km"
        moderator_client.post(path, data={"csrf_token": csrf_from(page)})
        moderator_client.set_cookie("lang", "en")

        moderator_notice = smtp.inbox.wait_for(2)[1]
        assert moderator_notice["To"] == "watcher@example.org"
        assert moderator_notice["Subject"].startswith("New endorsement to review: “Mekong Fishers Network")

        approval = moderator_client.post(
            f"/moderation/endorsements/{endorsement.id}/approve",
            data={"csrf_token": csrf_from(moderator_client.get("/moderation/"))},
            headers={"Accept-Language": "en"},
        )
        assert approval.status_code in (302, 303)
        smtp.inbox.wait_for(3)
        published = smtp.inbox.to(VALID["email"])[-1]
        assert published["Subject"] == km('Your endorsement of "%(title)s" is published', title=KM_TITLE)
        body = body_of(published)
        assert km("It now appears in the public list of endorsers:") in body
        assert "http://jointly.test/statements/s?lang=km" in body
        assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 3


def test_moderators_get_their_mail_in_the_default_language(
    app, make_statement, make_endorsement, make_moderator
):
    statement = make_statement(slug="s")
    watcher = make_moderator(email="watcher@example.org")
    watcher.notify_new_endorsements = True
    endorsement = make_endorsement(statement, organisation="Org", language="km")
    with app.test_request_context("/", headers={"Accept-Language": "km"}):  # a Khmer endorser's request
        notifications.notify_moderators_of_new_endorsement(endorsement)
        db.session.commit()
    (mail,) = outbox_mails("moderator_new_endorsement")
    assert mail.subject == "New endorsement to review: “Org”" and "Review it here" in mail.body
