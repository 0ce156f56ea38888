"""Issue 17.2: endorsers choose whether to get a statement's news, on the sign-on form and on
their personal page, and stop it from any update mail: by the link's page (a GET changes
nothing, its button POSTs) or by their mail program's one-click POST (RFC 8058)."""

import pytest
import sqlalchemy as sa

from domain.tokens import MANAGE, UNSUBSCRIBE, make_token
from extensions import db
from models import Endorsement, StatementUpdate
from tests.helpers import (
    csrf_from,
    events,
    hidden_fields,
    mail_settings,
    parse,
    send_update_by_page,
    sign,
    signons_decided,
    text_of,
    unsubscribe_path,
    wait_until,
    write_update,
)

NEWS = {"subject_en": "Delivered", "body_en": "We delivered the statement today."}


@pytest.fixture
def app_config(smtp):
    return {**mail_settings(smtp), "MAIL_RATE_PER_MINUTE": 6_000_000}


def send_news(admin_client, statement, subject: str) -> None:
    assert write_update(admin_client, statement.id, **{**NEWS, "subject_en": subject}).status_code == 303
    update_id = db.session.scalars(sa.select(StatementUpdate.id).order_by(StatementUpdate.id.desc())).first()
    assert send_update_by_page(admin_client, update_id).status_code == 303


def wants_updates(endorsement_id: int) -> bool:
    db.session.expire_all()
    return db.session.get(Endorsement, endorsement_id).wants_updates


def test_unsubscribe_by_the_page_and_by_one_click_and_the_next_update_skips_them(
    app, admin_client, statement, make_endorsement, smtp
):
    people = {
        name: make_endorsement(
            statement, "approved", organisation=name, email=f"{name}@example.org", wants_updates=True
        ).id
        for name in ("page", "oneclick", "stays")
    }
    send_news(admin_client, statement, "First news")
    first = {message["To"]: message for message in smtp.inbox.wait_for(3)}
    assert sorted(first) == ["oneclick@example.org", "page@example.org", "stays@example.org"]

    reader = app.test_client()
    path = unsubscribe_path(first["page@example.org"])
    page = reader.get(path)  # what a mail scanner does: nothing changes
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    assert parse(page).find("button").get_text() == "Unsubscribe" and wants_updates(people["page"])
    assert reader.post(path).status_code == 400 and wants_updates(people["page"])  # no token, no one-click
    done = reader.post(path, data=hidden_fields(page))
    assert done.status_code == 200 and "You are unsubscribed" in text_of(done)
    assert not wants_updates(people["page"])

    # A mail provider's one-click POST: from its servers, no cookie, no CSRF token, no Origin.
    provider = app.test_client(use_cookies=False)
    path = unsubscribe_path(first["oneclick@example.org"])
    done = provider.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in text_of(done)
    assert not wants_updates(people["oneclick"]) and wants_updates(people["stays"])
    assert provider.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # again: harmless

    audited = events("unsubscribe")
    assert [(e.endorsement_id, e.before, e.after) for e in audited] == [
        (people[name], {"updates": True}, {"updates": False}) for name in ("page", "oneclick")
    ]

    send_news(admin_client, statement, "Second news")
    wait_until(lambda: len(smtp.inbox.messages) == 4)
    assert [m["To"] for m in smtp.inbox.messages if m["Subject"] == "Second news"] == ["stays@example.org"]


def test_one_address_unsubscribes_from_the_statement_not_from_one_organisation(
    app, statement, make_endorsement
):
    first = make_endorsement(statement, organisation="First", email="dara@example.org", wants_updates=True)
    second = make_endorsement(statement, organisation="Second", email="Dara@Example.org", wants_updates=True)
    path = f"/unsubscribe/{make_token(first.id, UNSUBSCRIBE)}"
    assert app.test_client().post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not wants_updates(first.id) and not wants_updates(second.id)


def test_unsubscribe_links_need_their_own_token(app, statement, make_endorsement):
    endorsement = make_endorsement(statement, wants_updates=True)
    client = app.test_client()
    wrong = client.post(
        f"/unsubscribe/{make_token(endorsement.id, MANAGE)}", data={"List-Unsubscribe": "One-Click"}
    )
    assert wrong.status_code == 400 and "meant for another page" in text_of(wrong)
    assert client.post("/unsubscribe/forged", data={"List-Unsubscribe": "One-Click"}).status_code == 400
    assert wants_updates(endorsement.id) and events("unsubscribe") == []


def test_the_sign_on_form_offers_news_unticked(client, statement):
    box = parse(client.get("/statements/s/sign")).find("input", attrs={"name": "updates"})
    assert box["type"] == "checkbox" and not box.has_attr("checked")
    assert box.find_parent("label").get_text(" ", strip=True) == "Send us news about this statement"
    sign(client, organisation="Asked For News", email="yes@example.org", updates="y")
    sign(client, organisation="Did Not Ask", email="no@example.org")
    wait_until(signons_decided)
    chosen = dict(db.session.execute(sa.select(Endorsement.organisation, Endorsement.wants_updates)).all())
    assert chosen == {"Asked For News": True, "Did Not Ask": False}


def test_the_choice_on_the_personal_page(client, statement, make_endorsement):
    endorsement = make_endorsement(statement, "approved")
    manage = f"/manage/{make_token(endorsement.id, MANAGE)}"

    def box_ticked() -> bool:
        return parse(client.get(manage)).find("input", attrs={"name": "updates"}).has_attr("checked")

    assert not box_ticked()
    token = csrf_from(client.get(manage))
    response = client.post(f"{manage}/updates", data={"updates": "y", "csrf_token": token})
    assert response.status_code == 303 and "We will send you news" in text_of(client.get(manage))
    assert wants_updates(endorsement.id) and box_ticked()
    client.post(f"{manage}/updates", data={"csrf_token": token})
    assert not wants_updates(endorsement.id) and not box_ticked()
    client.post(f"{manage}/updates", data={"csrf_token": token})  # the same choice again: no event
    assert [(e.before, e.after) for e in events("updates_choice")] == [
        ({"updates": False}, {"updates": True}),
        ({"updates": True}, {"updates": False}),
    ]
    assert client.post(f"{manage}/updates", data={"updates": "y"}).status_code == 400  # no CSRF token
    assert not wants_updates(endorsement.id)


def test_a_withdrawn_endorsement_cannot_ask_for_news(client, statement, make_endorsement):
    endorsement = make_endorsement(statement, "withdrawn")
    manage = f"/manage/{make_token(endorsement.id, MANAGE)}"
    assert parse(client.get(manage)).find("input", attrs={"name": "updates"}) is None
    token = csrf_from(client.get("/statements/s/sign"))  # a form kept open from before the withdrawal
    response = client.post(f"{manage}/updates", data={"updates": "y", "csrf_token": token})
    assert "it can no longer be changed" in text_of(client.get(response.headers["Location"]))
    assert not wants_updates(endorsement.id) and events("updates_choice") == []


def test_a_correction_with_a_mistake_keeps_the_news_box_as_it_is(client, statement, make_endorsement):
    endorsement = make_endorsement(statement, "approved", wants_updates=True)
    manage = f"/manage/{make_token(endorsement.id, MANAGE)}"
    token = csrf_from(client.get(manage))
    response = client.post(f"{manage}/correct", data={"organisation": "", "csrf_token": token})
    assert response.status_code == 422
    assert parse(response).find("input", attrs={"name": "updates"}).has_attr("checked")
