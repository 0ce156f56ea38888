"""Organiser tools: statements in the UI with versions, moderation at scale, unnamed
endorsers, the admin export, and what the public can and cannot see."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from extensions import db
from models import Endorsement, ModerationEvent, ModeratorNote, RejectionReason, Statement, StatementVersion
from tests.helpers import count_line, csrf_from, list_items, parse, sign

PUBLIC_SUFFIXES = [
    "",
    "/thanks",
    "/endorsements.csv",
    "/endorsements.json",
    "/endorsements.md",
    "/endorsements.txt",
    "/endorsements.pdf",
    "/embed",
]


def post(client, url, page=None, **data):
    token = csrf_from(client.get(page or url))
    return client.post(url, data={"csrf_token": token, **data})


def statement_fields(**changes):
    fields = {
        "slug": "new-one",
        "kicker": "Joint Statement",
        "title": "A new statement",
        "published_on": "2026-11-28",
        "body": "We call for **change**.",
        "signon_deadline": "",
        "status": "open",
        "list_order": "published",
    }
    return {**fields, **changes}


def public_responses(client, slug: str) -> dict[str, str]:
    """Every public page and export of a statement, as text (PDF text extracted)."""
    from io import BytesIO

    from pypdf import PdfReader

    texts = {"/": client.get("/").get_data(as_text=True)}
    for suffix in PUBLIC_SUFFIXES:
        response = client.get(f"/statements/{slug}{suffix}")
        assert response.status_code == 200, suffix
        if suffix.endswith(".pdf"):
            reader = PdfReader(BytesIO(response.get_data()))
            texts[suffix] = " ".join(page.extract_text() for page in reader.pages)
        else:
            texts[suffix] = response.get_data(as_text=True)
    return texts


def test_admin_creates_and_edits_a_statement_keeping_versions(admin_client, make_endorsement):
    response = post(admin_client, "/moderation/admin/statements/new", **statement_fields())
    assert response.status_code == 302
    statement = db.session.scalar(sa.select(Statement))
    assert (statement.title, statement.version, statement.status) == ("A new statement", 1, "open")
    assert parse(admin_client.get("/statements/new-one")).find("strong", string="change") is not None

    # No endorsement yet: an edit changes the text in place.
    edit = f"/moderation/admin/statements/{statement.id}/edit"
    post(admin_client, edit, **statement_fields(body="We call for change now."))
    db.session.expire_all()
    assert statement.version == 1 and db.session.scalar(sa.select(sa.func.count(StatementVersion.id))) == 0

    sign(admin_client, slug="new-one")
    first = db.session.scalar(sa.select(Endorsement))
    assert first.statement_version == 1
    post(admin_client, edit, **statement_fields(body="We call for change now, together."))
    db.session.expire_all()
    assert statement.version == 2
    (kept,) = statement.versions
    assert kept.number == 1 and kept.body == "We call for change now."
    assert db.session.get(Endorsement, first.id).statement_version == 1  # keeps what it signed
    sign(admin_client, slug="new-one", organisation="Later Org", email="later@example.org")
    later = db.session.scalar(sa.select(Endorsement).where(Endorsement.organisation == "Later Org"))
    assert later.statement_version == 2

    history = admin_client.get(f"/moderation/admin/statements/{statement.id}/versions?old=1&new=2")
    assert history.status_code == 200
    assert_versions_page(parse(history))


def assert_versions_page(page) -> None:
    """The versions with their counts (the end of the old one a time), and the change between them."""
    first, current = [li for li in page.find_all("li") if li.get_text().startswith("Version ")]
    assert first.get_text().startswith("Version 1 (until ") and first.get_text().endswith(
        " UTC): 1 endorsement"
    )
    assert first.find("time").get_text().endswith(" UTC")
    assert current.get_text() == "Version 2 (current): 1 endorsement"
    lines = {(span["class"][-1], span.get_text()) for span in page.find_all("span", class_="diff-line")}
    assert ("diff-del", "- We call for change now.") in lines
    assert ("diff-add", "+ We call for change now, together.") in lines


def test_statement_form_refuses_bad_input_with_messages(admin_client, make_statement):
    make_statement(slug="taken")
    response = post(admin_client, "/moderation/admin/statements/new", **statement_fields(slug="Not A Slug!"))
    assert response.status_code == 422 and "lower-case letters" in response.get_data(as_text=True)
    response = post(admin_client, "/moderation/admin/statements/new", **statement_fields(slug="taken"))
    assert response.status_code == 422 and "already taken" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Statement.id))) == 1


def test_preview_renders_without_saving(admin_client):
    response = post(
        admin_client,
        "/moderation/admin/statements/new",
        **statement_fields(body="*Draft* text", preview="Preview"),
    )
    assert response.status_code == 200 and parse(response).find("em", string="Draft") is not None
    assert db.session.scalar(sa.select(sa.func.count(Statement.id))) == 0


def test_draft_is_visible_to_moderators_only(client, admin_client, make_statement):
    draft = make_statement(slug="draft", status="draft", title="Secret Draft")
    assert "Secret Draft" in admin_client.get(f"/moderation/admin/statements/{draft.id}/preview").get_data(
        as_text=True
    )
    admin_client.post("/logout", data={"csrf_token": csrf_from(admin_client.get("/moderation/"))})
    for suffix in PUBLIC_SUFFIXES:
        assert client.get(f"/statements/draft{suffix}").status_code == 404
    assert "Secret Draft" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/moderation/admin/statements/{draft.id}/preview").status_code == 302


def test_statement_closes_by_itself_at_its_deadline(client, make_statement, app):
    statement = make_statement(slug="s", signon_deadline=datetime.now() + timedelta(days=1))
    assert "Endorse this statement" in client.get("/statements/s").get_data(as_text=True)
    statement.signon_deadline = datetime.now() - timedelta(minutes=1)
    db.session.commit()
    assert "Sign-on is closed" in client.get("/statements/s").get_data(as_text=True)
    from tests.test_signon import VALID

    response = client.post(
        "/statements/s/sign", data={**VALID, "csrf_token": csrf_from(client.get("/login"))}
    )
    assert response.status_code == 409 and db.session.scalar(sa.select(sa.func.count(Endorsement.id))) == 0


def test_bulk_approve_200_in_one_request(moderator_client, make_statement, make_endorsement):
    statement = make_statement(slug="s")
    ids = [make_endorsement(statement, organisation=f"Bulk Org {n}").id for n in range(200)]
    token = csrf_from(moderator_client.get("/moderation/"))
    response = moderator_client.post(
        "/moderation/bulk", data={"csrf_token": token, "action": "approve", "ids": ids}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (
        db.session.scalar(sa.select(sa.func.count(Endorsement.id)).where(Endorsement.status == "approved"))
        == 200
    )
    events = db.session.scalars(sa.select(ModerationEvent).where(ModerationEvent.action == "approve")).all()
    assert len(events) == 200 and {e.endorsement_id for e in events} == set(ids)
    assert len(list_items(moderator_client.get("/statements/s").get_data(as_text=True))) == 200


def test_bulk_reject_with_a_managed_reason_leaves_decided_ones(
    moderator_client, make_statement, make_endorsement
):
    db.session.add(RejectionReason(text="Not an organisation"))
    statement = make_statement(slug="s")
    pending = make_endorsement(statement, organisation="Prank")
    approved = make_endorsement(statement, status="approved", organisation="Real")
    approved_again = make_endorsement(statement, status="rejected", organisation="Gone")
    token = csrf_from(moderator_client.get("/moderation/"))
    response = moderator_client.post(
        "/moderation/bulk",
        data={
            "csrf_token": token,
            "action": "reject",
            "reason_choice": "Not an organisation",
            "ids": [pending.id, approved.id, approved_again.id],
        },
    )
    page = moderator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rejected 2 endorsements." in page and "1 endorsement left unchanged" in page
    db.session.expire_all()
    assert db.session.get(Endorsement, pending.id).rejection_reason == "Not an organisation"


def test_bulk_with_nothing_selected_changes_nothing(moderator_client, make_statement, make_endorsement):
    make_endorsement(make_statement(slug="s"))
    token = csrf_from(moderator_client.get("/moderation/"))
    response = moderator_client.post("/moderation/bulk", data={"csrf_token": token, "action": "approve"})
    assert "Select at least one" in moderator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(sa.select(Endorsement.status)) == "pending"


def test_filter_by_text_and_status(moderator_client, make_statement, make_endorsement):
    statement = make_statement(slug="s")
    make_endorsement(statement, organisation="Mekong Fishers")
    make_endorsement(statement, organisation="Youth Network", email="youth@example.org")
    html = moderator_client.get("/moderation/?q=mekong").get_data(as_text=True)
    assert "Mekong Fishers" in html and "Youth Network" not in html
    html = moderator_client.get("/moderation/endorsements?status=pending&q=youth@").get_data(as_text=True)
    assert "Youth Network" in html and "Mekong Fishers" not in html


def test_private_notes(moderator_client, make_statement, make_endorsement):
    endorsement = make_endorsement(make_statement(slug="s"))
    page = f"/moderation/endorsements/{endorsement.id}"
    post(moderator_client, f"{page}/notes", page=page, body="Called them; genuine.")
    assert "Called them; genuine." in moderator_client.get(page).get_data(as_text=True)
    assert db.session.scalar(sa.select(ModeratorNote.body)) == "Called them; genuine."
    assert "Called them" not in moderator_client.get("/statements/s").get_data(as_text=True)


def test_endorsement_received_by_phone_joins_the_queue(moderator_client, make_statement):
    statement = make_statement(slug="s")
    response = post(
        moderator_client,
        "/moderation/endorsements/new",
        statement_id=statement.id,
        source="phone",
        organisation="Phone Org",
        contact_name="Sok",
        email="phone@example.org",
        authorised="y",
    )
    assert response.status_code == 302
    endorsement = db.session.scalar(sa.select(Endorsement))
    assert (endorsement.status, endorsement.source) == ("pending", "phone")
    assert "Phone Org" in moderator_client.get("/moderation/").get_data(as_text=True)
    (event,) = db.session.scalars(
        sa.select(ModerationEvent).where(ModerationEvent.action == "add_received")
    ).all()
    assert event.after == {"source": "phone"}


def test_unnamed_endorser_is_counted_but_never_named(
    client, moderator_client, make_statement, make_endorsement
):
    statement = make_statement(slug="s")
    make_endorsement(statement, status="approved", organisation="Named Org")
    make_endorsement(statement, status="approved", organisation="Hidden Collective", anonymous=True)
    assert "Hidden Collective" in moderator_client.get("/moderation/endorsements?status=approved").get_data(
        as_text=True
    )
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/moderation/"))})
    texts = public_responses(client, "s")
    assert count_line(texts[""]) == ("Endorsed by 2 organisations", "2")
    assert "and 1 organisation that asked not to be named" in texts[""]
    assert "Endorsed by 2 organisations" in texts["/endorsements.txt"]
    assert list_items(texts[""]) == ["Named Org"]
    for where, text in texts.items():
        assert "Hidden Collective" not in text, where
        assert "Named Org" in text or where in {"/", "/thanks", "/embed"}, where


def test_no_contact_data_in_any_public_response(client, shared_statement, make_endorsement):
    """Contact fields never reach the public: not the pages, the exports, the embed or an error."""
    make_endorsement(
        shared_statement,
        status="approved",
        organisation="Visible Org",
        contact_name="Hidden Person",
        email="secret-contact@example.org",
        phone="+855 99 999 999",
        message="private words",
    )
    make_endorsement(
        shared_statement, status="pending", organisation="Pending Org", email="pending@example.org"
    )
    texts = public_responses(client, shared_statement.slug)
    texts["/404"] = client.get("/statements/nope").get_data(as_text=True)
    for where, text in texts.items():
        for secret in (
            "secret-contact@example.org",
            "+855 99 999",  # a part of the phone number too
            "Hidden Person",
            "private words",
            "pending@example.org",
            "Pending Org",
            "dara@example.org",
        ):
            assert secret not in text, f"{secret} leaked in {where}"
    assert "Visible Org" in texts["/endorsements.csv"]
    assert "Visible Org" in texts["/"] and "Visible Org" in texts[""]  # the name itself is public


def test_admin_export_is_refused_to_moderators(moderator_client, shared_statement):
    assert moderator_client.get("/moderation/admin/export.csv").status_code == 403
    assert (
        db.session.scalar(
            sa.select(sa.func.count(ModerationEvent.id)).where(ModerationEvent.action == "admin_export")
        )
        == 0
    )


def test_admin_export_has_contacts_and_is_audited(admin_client, make_statement, make_endorsement):
    statement = make_statement(slug="s")
    make_endorsement(statement, organisation="=HYPERLINK(1)", email="c@example.org", phone="+855 1")
    response = admin_client.get("/moderation/admin/export.csv")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "c@example.org" in text and "'=HYPERLINK(1)" in text and "'+855 1" in text
    (event,) = db.session.scalars(
        sa.select(ModerationEvent).where(ModerationEvent.action == "admin_export")
    ).all()
    assert event.moderator.email == "admin@example.org" and event.after["rows"] == 1


def test_alphabetical_list_order(client, make_statement, make_endorsement):
    statement = make_statement(slug="s", list_order="alphabetical")
    for name in ("Zeta", "alpha", "Mu"):
        make_endorsement(statement, status="approved", organisation=name)
    assert list_items(client.get("/statements/s").get_data(as_text=True)) == ["alpha", "Mu", "Zeta"]
