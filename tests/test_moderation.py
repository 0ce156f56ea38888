import pytest
import sqlalchemy as sa

from extensions import db
from models import Endorsement
from tests.helpers import confirm_by_mail, csrf_from, events, list_items, parse, post_button, sign

MODERATION_GETS = ["/moderation/", "/moderation/endorsements", "/moderation/endorsements/1"]
MODERATION_POSTS = [
    "/moderation/endorsements/1/approve",
    "/moderation/endorsements/1/reject",
    "/moderation/endorsements/1/edit",
]


def test_full_loop_sign_approve_reject(client, shared_statement, moderator_client):
    slug = shared_statement.slug
    sign(client, slug=slug, organisation="Mekong Fishers Network", acronym="MFN", location="")
    sign(client, slug=slug, organisation="Prank Org", acronym="", location="", email="x@example.org")
    assert "Mekong" not in client.get("/moderation/").get_data(as_text=True)  # unconfirmed for now
    assert confirm_by_mail(client, "sophea@example.org").status_code == 200
    assert confirm_by_mail(client, "x@example.org").status_code == 200
    first, second = db.session.scalars(
        sa.select(Endorsement).where(Endorsement.source == "web").order_by(Endorsement.id)
    ).all()

    queue = client.get("/moderation/").get_data(as_text=True)
    assert "Mekong Fishers Network (MFN)" in queue and "Prank Org" in queue
    assert "sophea@example.org" in queue  # moderators see every field
    assert queue.index("Mekong Fishers") < queue.index("Prank Org")  # oldest first

    response = post_button(client, f"/moderation/endorsements/{first.id}/approve")
    assert response.status_code == 302
    response = post_button(
        client, f"/moderation/endorsements/{second.id}/reject", reason="Not a real organisation"
    )
    assert response.status_code == 302

    items = list_items(client.get(f"/statements/{slug}").get_data(as_text=True))
    assert len(items) == 44
    assert items[43] == "Mekong Fishers Network (MFN)"
    assert not any("Prank Org" in item for item in items)
    assert_decided_and_recorded(first.id, second.id)


def assert_decided_and_recorded(first_id: int, second_id: int) -> None:
    """The first sign-on approved as the 44th, the second rejected with its reason, and both
    decisions in the audit log with the moderator and the state before and after."""
    db.session.expire_all()
    approved = db.session.get(Endorsement, first_id)
    assert approved.status == "approved"
    assert approved.position == 44
    rejected = db.session.get(Endorsement, second_id)
    assert rejected.status == "rejected" and rejected.rejection_reason == "Not a real organisation"
    approve_event, reject_event = events("approve")[0], events("reject")[0]
    assert approve_event.endorsement_id == first_id and approve_event.moderator.email == "mod@example.org"
    assert (
        approve_event.before == {"status": "pending", "confirmed": True}
        and approve_event.after["status"] == "approved"
    )
    assert (
        reject_event.endorsement_id == second_id and reject_event.after["reason"] == "Not a real organisation"
    )


def test_approving_twice_is_refused_with_a_message(moderator_client, make_statement, make_endorsement):
    endorsement = make_endorsement(make_statement(slug="s"))
    post_button(moderator_client, f"/moderation/endorsements/{endorsement.id}/approve")
    response = post_button(moderator_client, f"/moderation/endorsements/{endorsement.id}/approve")
    page = moderator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only a pending endorsement can be approved" in page
    assert len(events("approve")) == 1


def test_edit_display_name_after_approval_changes_public_list(
    client, moderator_client, make_statement, make_endorsement
):
    statement = make_statement(slug="s")
    endorsement = make_endorsement(statement, status="approved", organisation="Cambodain Youth Network")
    page = f"/moderation/endorsements/{endorsement.id}"
    response = post_button(
        client, f"{page}/edit", page=page, organisation="Cambodian Youth Network", acronym="CYN", location=""
    )
    assert response.status_code == 302
    assert list_items(client.get("/statements/s").get_data(as_text=True)) == ["Cambodian Youth Network (CYN)"]
    (edit,) = events("edit")
    assert edit.before["organisation"] == "Cambodain Youth Network"
    assert edit.after == {
        "organisation": "Cambodian Youth Network",
        "organisation_km": None,
        "acronym": "CYN",
        "location": None,
    }


def test_edit_with_bad_name_is_refused(moderator_client, make_statement, make_endorsement):
    endorsement = make_endorsement(make_statement(slug="s"))
    page = f"/moderation/endorsements/{endorsement.id}"
    response = post_button(moderator_client, f"{page}/edit", page=page, organisation="=cmd()")
    assert response.status_code == 422
    assert "not = + - or @" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Endorsement, endorsement.id).organisation == "Test Organisation"
    assert events() == []


def test_duplicate_approval_is_refused_with_a_message(moderator_client, make_statement, make_endorsement):
    statement = make_statement(slug="s")
    make_endorsement(statement, status="approved", organisation="Equitable Cambodia")
    again = make_endorsement(statement, organisation="EQUITABLE  cambodia.")
    response = post_button(moderator_client, f"/moderation/endorsements/{again.id}/approve")
    page = moderator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "already in the list as number 1" in page
    db.session.expire_all()
    assert db.session.get(Endorsement, again.id).status == "pending"


def test_database_refuses_two_approved_with_the_same_key(app, make_statement, make_endorsement):
    statement = make_statement(slug="s")
    make_endorsement(statement, status="approved", organisation="Same")
    with pytest.raises(sa.exc.IntegrityError):
        make_endorsement(statement, status="approved", organisation="same")
    db.session.rollback()


@pytest.mark.parametrize("url", MODERATION_GETS)
def test_anonymous_gets_are_redirected_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("url", MODERATION_POSTS)
def test_anonymous_posts_change_nothing(client, make_statement, make_endorsement, url):
    endorsement = make_endorsement(make_statement(slug="s"))
    assert endorsement.id == 1
    token = csrf_from(client.get("/statements/s/sign"))
    response = client.post(url, data={"csrf_token": token, "organisation": "Changed"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Endorsement, 1).status == "pending"
    assert db.session.get(Endorsement, 1).organisation == "Test Organisation"
    assert events() == []


@pytest.mark.parametrize("url", MODERATION_POSTS)
def test_posts_without_csrf_change_nothing(moderator_client, make_statement, make_endorsement, url):
    make_endorsement(make_statement(slug="s"))
    response = moderator_client.post(url, data={"organisation": "Changed", "reason": "x"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Endorsement, 1).status == "pending"
    assert db.session.get(Endorsement, 1).organisation == "Test Organisation"
    assert events() == []


def test_queue_counts_per_statement(moderator_client, make_statement, make_endorsement):
    first, second = make_statement(slug="a", title="Alpha"), make_statement(slug="b", title="Beta")
    for _ in range(2):
        make_endorsement(first, organisation=f"Org {_}")
    make_endorsement(second)
    page = parse(moderator_client.get("/moderation/"))

    def badge_after(title: str):
        badge = page.find("a", string=title).find_next_sibling()
        return badge.name, badge["class"], badge.get_text()

    assert badge_after("Alpha") == ("span", ["count-badge"], "2")
    assert badge_after("Beta") == ("span", ["count-badge"], "1")


def test_audit_events_cannot_be_rewritten(app, make_statement, make_endorsement, make_moderator):
    from domain.endorsements import approve

    moderator = make_moderator()
    endorsement = make_endorsement(make_statement(slug="s"))
    approve(endorsement, moderator)
    db.session.commit()
    event = events()[0]
    event.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        db.session.flush()
    db.session.rollback()
