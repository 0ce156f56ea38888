"""Moderation in Khmer: the queue, the outbox, an endorsement's page and its messages, the
admin's pages and form errors, and the login prompt, all in the moderator's language."""

import pytest
from babel.dates import format_datetime

from domain.spam import HONEYPOT
from extensions import db
from models import OutboxMail
from tests.helpers import csrf_from, folded, parse, text_of
from tests.khmer import PREY_LANG_KM, assert_khmer_page, khmer_script_fields, km


@pytest.fixture
def queue(make_statement, make_endorsement):
    """A pending endorsement with a name in Khmer script, and a suspected one."""
    statement = make_statement(slug="s")
    endorsement = make_endorsement(
        statement, organisation="Prey Lang Community", organisation_km=PREY_LANG_KM
    )
    make_endorsement(statement, status="suspected", organisation="Bot Org", suspicion=HONEYPOT)
    return endorsement


def test_moderation_queue_in_khmer(khmer_moderator, queue):
    html = khmer_moderator.get("/moderation/").get_data(as_text=True)
    assert_khmer_page(
        html,
        "Pending endorsements",
        "Pending queue",
        "Outbox",
        "With the selected entries:",
        "Approve",
        "Name, acronym, contact or email",
        "Name in Khmer script",
        "Authorised to sign",
    )
    assert PREY_LANG_KM in khmer_script_fields(html)
    submitted = format_datetime(queue.submitted_at, "d MMM y, HH:mm z", locale="km")
    when = parse(html).find("time", string=submitted).find_parent("dd")
    assert folded(when) == f"{submitted} · {km('signed on the website')}"  # the month in Khmer


def test_outbox_and_its_warning_in_khmer(khmer_moderator):
    db.session.add(
        OutboxMail(
            kind="confirm_endorsement",
            recipient="gone@example.org",
            subject="Please confirm",
            body="…",
            status="failed",
            attempts=7,
            last_error="550 no such mailbox",
        )
    )
    db.session.commit()
    warning = parse(
        km(
            '<a href="%(url)s">%(count)s mail could not be delivered</a>: see the outbox for the SMTP error.',
            url="/moderation/outbox",
            count=1,
        )
    )
    queue_page = parse(khmer_moderator.get("/moderation/"))
    assert text_of(warning) in text_of(queue_page)
    assert queue_page.find("a", href="/moderation/outbox", string=warning.a.get_text()) is not None
    outbox = khmer_moderator.get("/moderation/outbox").get_data(as_text=True)
    assert_khmer_page(outbox, "Every mail Jointly sends is kept here.", "Send all waiting mail now")
    assert km("%(num)d failed attempt", num=7) in text_of(outbox) and km("failed") in text_of(outbox)
    assert km("SMTP error: %(error)s", error="550 no such mailbox") in text_of(outbox)


def test_suspected_queue_in_khmer(khmer_moderator, queue):
    suspected = khmer_moderator.get("/moderation/?show=suspected").get_data(as_text=True)
    assert_khmer_page(suspected, "Suspected endorsements")
    reason = km("the hidden field (honeypot) was filled in")
    assert km("Suspected: %(reason)s", reason=reason) in text_of(suspected)


def test_endorsement_detail_and_flash_messages_in_khmer(khmer_moderator, make_statement, make_endorsement):
    statement = make_statement(slug="s")
    endorsement = make_endorsement(statement, organisation="Prey Lang Community")
    page = f"/moderation/endorsements/{endorsement.id}"
    html = khmer_moderator.get(page).get_data(as_text=True)
    assert_khmer_page(
        html, "Public display", "Private notes", "History", "No decisions yet.", "Save display name"
    )
    status = parse(html).find("strong", class_="status-pending")
    assert (status["class"], status.get_text()) == (["status", "status-pending"], km("pending"))
    assert km("language: %(language)s", language="អង់គ្លេស") in text_of(html)

    def press(action):
        token = csrf_from(khmer_moderator.get(page))
        response = khmer_moderator.post(f"{page}/{action}", data={"csrf_token": token, "next_url": page})
        return khmer_moderator.get(response.headers["Location"]).get_data(as_text=True)

    approved = press("approve")
    assert_khmer_page(approved, "History")
    assert km("Approved: %(name)s.", name="Prey Lang Community") in text_of(approved)
    assert f"· {km('approved')}" in approved  # the event, named in Khmer
    again = press("approve")
    refusal = km(
        "Only a pending endorsement can be approved (this one is %(status)s).", status=km("approved")
    )
    assert refusal in again and "Only a pending endorsement" not in again


def test_admin_pages_and_form_errors_in_khmer(client, make_moderator, auth, make_statement):
    make_moderator(email="admin@example.org", role="admin")
    assert auth.login(email="admin@example.org").status_code == 302
    client.set_cookie("lang", "km")
    make_statement(slug="s", title="Free the Press")
    html = client.get("/moderation/admin/statements").get_data(as_text=True)
    assert_khmer_page(html, "Statements", "New statement", "Download all endorsements with contacts (CSV)")
    cells = [td.get_text() for td in parse(html).find_all("td")]
    assert km("open") in cells and "Free the Press" in html  # statement text untouched

    token = csrf_from(client.get("/moderation/admin/statements/new"))
    fields = {"slug": "Not A Slug!", "title": "T", "body": "B", "status": "draft", "list_order": "published"}
    response = client.post(
        "/moderation/admin/statements/new", data={**fields, "published_on": "someday", "csrf_token": token}
    )
    assert response.status_code == 422
    assert_khmer_page(
        response.get_data(as_text=True),
        "Please correct the following",
        "Please use lower-case letters, digits and hyphens only.",
        "Please give a valid date.",  # WTForms' own message, which has no Khmer catalogue
    )


def test_login_prompt_in_khmer(khmer_client):
    response = khmer_client.get("/moderation/")
    assert response.status_code == 302
    assert_khmer_page(
        khmer_client.get(response.headers["Location"]).get_data(as_text=True),
        "Please log in to see this page.",
    )
