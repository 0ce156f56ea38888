"""Withdrawing through the personal link takes two steps: the personal page links to a page that
asks "Are you sure?", and only its button withdraws."""

import pytest

from domain.tokens import make_token
from extensions import db
from models import Endorsement
from tests.helpers import csrf_from, hidden_fields, list_items, parse, text_of


@pytest.fixture
def listed(make_statement, make_endorsement) -> Endorsement:
    statement = make_statement(slug="s")
    return make_endorsement(statement, status="approved", organisation="Leaving Org", acronym="LO")


def status_of(endorsement: Endorsement) -> str:
    db.session.expire_all()
    return db.session.get(Endorsement, endorsement.id).status


def test_the_personal_page_links_to_a_confirmation_and_changes_nothing(client, listed):
    path = f"/manage/{make_token(listed.id, 'manage')}"
    page = parse(client.get(path))
    link = page.find("a", string="Withdraw")
    assert link is not None and link["href"] == f"{path}/withdraw"
    assert not [form for form in page.find_all("form") if form.get("action", "").endswith("/withdraw")]

    confirmation = client.get(link["href"])
    assert confirmation.status_code == 200
    assert parse(confirmation).h1.get_text() == "Withdraw your endorsement?"
    assert "Leaving Org (LO)" in text_of(confirmation)
    assert "removes the organisation from the public list at once" in text_of(confirmation)
    back = parse(confirmation).find("a", string="No, keep it")
    assert back["href"] == path
    assert status_of(listed) == "approved"  # opening both pages changed nothing
    assert list_items(client.get("/statements/s")) == ["Leaving Org (LO)"]


def test_the_button_on_the_confirmation_withdraws(client, listed):
    path = f"/manage/{make_token(listed.id, 'manage')}/withdraw"
    confirmation = client.get(path)
    response = client.post(path, data=hidden_fields(confirmation, "/withdraw"))
    assert response.status_code == 303
    assert "Your endorsement is withdrawn" in text_of(client.get(response.headers["Location"]))
    assert status_of(listed) == "withdrawn"
    assert list_items(client.get("/statements/s")) == []


def test_a_withdrawn_endorsement_gets_no_second_confirmation(client, listed):
    path = f"/manage/{make_token(listed.id, 'manage')}/withdraw"
    client.post(path, data={"csrf_token": csrf_from(client.get(path))})
    again = client.get(path)
    assert again.status_code == 302
    assert "can no longer be withdrawn" in text_of(client.get(again.headers["Location"]))


def test_a_post_without_its_token_withdraws_nothing(client, listed):
    path = f"/manage/{make_token(listed.id, 'manage')}/withdraw"
    assert client.post(path).status_code == 400
    assert status_of(listed) == "approved"


def test_the_confirmation_in_khmer(client, listed):
    client.set_cookie("lang", "km")
    page = client.get(f"/manage/{make_token(listed.id, 'manage')}/withdraw")
    assert parse(page).h1.get_text() == "ដកការគាំទ្ររបស់អ្នកវិញឬ?"
