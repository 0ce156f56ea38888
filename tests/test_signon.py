from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from extensions import db
from models import Endorsement
from tests.helpers import VALID, count_line, csrf_from, form_values, inline_scripts, parse, sign, text_of


def stored() -> list[Endorsement]:
    return db.session.scalars(sa.select(Endorsement)).all()


def test_signon_is_stored_unconfirmed_and_not_public(client, statement):
    response = sign(client)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/statements/s/thanks")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "pending review" in thanks and "Confirm" in thanks
    (endorsement,) = stored()
    assert endorsement.status == "unconfirmed"
    assert endorsement.organisation == "Mekong Fishers Network"
    assert endorsement.email == "sophea@example.org" and endorsement.authorised
    page = client.get("/statements/s").get_data(as_text=True)
    assert "Mekong Fishers Network" not in page
    assert count_line(page) == ("Endorsed by 0 organisations", "0")


def test_khmer_organisation_name_is_accepted(client, statement):
    assert sign(client, organisation="សហគមន៍ព្រៃឡង់", acronym="").status_code == 303
    assert stored()[0].organisation == "សហគមន៍ព្រៃឡង់"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("organisation", "", "Please give the organisation"),
        ("contact_name", "", "Please tell us who to contact"),
        ("email", "", "Please give an email address"),
        ("organisation", "x" * 10_000, "Please shorten this to 200 characters or fewer; it has 10000."),
        ("email", "not-an-email", "Please give a valid email address"),
        ("organisation", '=HYPERLINK("http://evil")', "not = + - or @"),
        ("organisation", "+SUM(A1)", "not = + - or @"),
        ("organisation", "-2+3", "not = + - or @"),
        ("organisation", "@SUM(A1)", "not = + - or @"),
        ("acronym", "=CMD", "not = + - or @"),
        ("organisation", "Visit https://spam.example now", "Please put the web address in the Website field"),
        ("organisation", "Cheap pills at pills.com", "Please put the web address in the Website field"),
        ("organisation", "Bad\x00Name", "control characters"),
        ("location", "Phnom\x1bPenh", "control characters"),
        ("authorised", None, "Please confirm that you may sign"),
        ("website", "not a url", "Please enter a web address"),
        ("phone", "call me maybe", "digits"),
    ],
)
def test_bad_input_gets_a_message_and_stores_nothing(client, statement, field, value, message):
    response = sign(client, **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in text_of(html)
    assert parse(html).find(class_="error-summary") is not None
    assert stored() == []
    # What the user typed is kept (other fields shown back in the form).
    if field != "contact_name":
        assert form_values(html, "/statements/s/sign")["contact_name"] == "Chan Sophea"


def test_script_in_a_name_is_stored_and_shown_escaped(client, statement, moderator_client):
    assert sign(client, organisation="<script>alert('x')</script> Org").status_code == 303
    (endorsement,) = stored()
    assert endorsement.organisation == "<script>alert('x')</script> Org"
    html = client.get("/moderation/?show=unconfirmed").get_data(as_text=True)
    assert inline_scripts(html) == []  # not run
    assert "<script>alert('x')</script> Org" in text_of(html)  # but shown as typed


def test_post_without_csrf_token_is_refused_with_a_clear_page(client, statement):
    response = client.post("/statements/s/sign", data=VALID)
    assert response.status_code == 400
    assert "Please reload the page" in response.get_data(as_text=True)
    assert stored() == []


def test_signon_to_unknown_statement_is_404(client, statement):
    token = csrf_from(client.get("/statements/s/sign"))
    response = client.post("/statements/nope/sign", data={**VALID, "csrf_token": token})
    assert response.status_code == 404
    assert stored() == []


@pytest.mark.parametrize(
    "fields",
    [{"status": "closed"}, {"signon_deadline": datetime(2020, 1, 1)}],
    ids=["closed", "past-deadline"],
)
def test_closed_statement_shows_notice_and_refuses_posts(client, make_statement, fields):
    make_statement(slug="open-one")
    make_statement(slug="c", **fields)
    page = client.get("/statements/c").get_data(as_text=True)
    assert "Sign-on is closed" in page
    assert parse(page).find("form", action="/statements/c/sign") is None
    token = csrf_from(client.get("/statements/open-one/sign"))
    response = client.post("/statements/c/sign", data={**VALID, "csrf_token": token})
    assert response.status_code == 409
    assert "Sign-on is closed" in response.get_data(as_text=True)
    assert stored() == []


def test_future_deadline_still_accepts(client, make_statement):
    make_statement(slug="s", signon_deadline=datetime.now() + timedelta(days=2))
    assert sign(client).status_code == 303


def test_oversized_body_is_413_and_stores_nothing(client, statement):
    token = csrf_from(client.get("/statements/s/sign"))
    response = client.post(
        "/statements/s/sign", data={**VALID, "message": "x" * (2 * 1024 * 1024), "csrf_token": token}
    )
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert stored() == []
