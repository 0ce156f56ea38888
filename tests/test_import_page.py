"""The admin page that imports a spreadsheet (upload → preview → import), and the moderators'
hint about a contact's email address."""

import io

import pytest
import sqlalchemy as sa

from domain.email_hints import email_hint, is_free_provider, same_organisation_domain, website_host
from extensions import db
from models import Endorsement, EndorsementStatus
from tests.helpers import (
    FORM_HEADERS,
    FORM_ROWS,
    AuthActions,
    csrf_from,
    csv_bytes,
    events,
    form_values,
    outbox_mails,
    parse,
    text_of,
    xlsx_bytes,
)

PAGE = "/moderation/admin/import/"
PREVIEW = "/moderation/admin/import/preview"


def upload(client, statement, data: bytes, name="responses.csv"):
    token = csrf_from(client.get(PAGE))
    form = {"csrf_token": token, "statement_id": str(statement.id), "spreadsheet": (io.BytesIO(data), name)}
    return client.post(PAGE, data=form, content_type="multipart/form-data")


def press(client, preview_page, button: str, **changes):
    """Send the preview's form as shown, with `changes`, by pressing `button` ("preview" or "submit")."""
    return client.post(PREVIEW, data={**form_values(preview_page, PREVIEW), **changes, button: "pressed"})


def stored() -> list[Endorsement]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Endorsement).order_by(Endorsement.id)).all()


def column_of(page, header: str) -> str:
    """The name of the select that says what the column `header` fills."""
    label = parse(page).find("label", string=header)
    return label["for"]


def test_upload_preview_then_import(admin_client, statement):
    page = upload(admin_client, statement, csv_bytes())
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = text_of(page)
    assert "3 new endorsements will join the queue." in text
    assert "Not imported: Score." in text
    rows = parse(page).find("table", class_="import-preview").find("tbody").find_all("tr")
    first = [" ".join(cell.get_text(" ").split()) for cell in rows[0].find_all("td")]
    assert first[:3] == ["2", "Mekong Fishers Network", ""]
    assert "29 Nov 2026, 14:03 UTC" in first and "pending" in first
    assert stored() == [] and events() == []  # the preview stores nothing

    done = press(admin_client, page, "submit")
    assert done.status_code == 302 and "/moderation/?statement=" in done.headers["Location"]
    assert [e.organisation for e in stored()] == [row[2] for row in FORM_ROWS]
    assert {(e.status, e.source) for e in stored()} == {(EndorsementStatus.PENDING, "import:responses.csv")}
    assert events("import")[0].moderator.email == "admin@example.org"
    assert outbox_mails() == []


def test_the_mapping_can_be_adjusted_in_the_preview(admin_client, statement):
    headers = ["Timestamp", "Email Address", "Group", *FORM_HEADERS[3:]]
    page = upload(admin_client, statement, csv_bytes(headers=headers), name="sheet.csv")
    assert page.status_code == 422
    assert "no column for" in text_of(page)
    assert parse(page).find("input", attrs={"name": "submit"}) is None

    again = press(admin_client, page, "preview", **{column_of(page, "Group"): "organisation"})
    assert again.status_code == 200, text_of(again)
    assert "3 new endorsements will join the queue." in text_of(again)
    # Leaving the website out: the stored rows have none.
    done = press(admin_client, again, "submit", **{column_of(again, "Website"): ""})
    assert done.status_code == 302
    assert [e.website for e in stored()] == [None, None, None]
    assert stored()[0].organisation == "Mekong Fishers Network"


def test_two_columns_for_one_field_are_refused(admin_client, statement):
    page = upload(admin_client, statement, csv_bytes())
    response = press(admin_client, page, "submit", **{column_of(page, "Score"): "email"})
    assert response.status_code == 422
    assert "Two columns are set to the same field" in text_of(response)
    assert stored() == []


def test_an_xlsx_upload_and_the_tick_that_asks_contacts_to_confirm(admin_client, statement):
    page = upload(admin_client, statement, xlsx_bytes(), name="responses.xlsx")
    assert page.status_code == 200, text_of(page)
    done = press(admin_client, page, "submit", ask_to_confirm="y")
    assert "show=unconfirmed" in done.headers["Location"]
    assert {e.status for e in stored()} == {EndorsementStatus.UNCONFIRMED}
    mails = outbox_mails("confirm_endorsement")
    assert sorted(mail.recipient for mail in mails) == sorted(row[1] for row in FORM_ROWS)


def test_a_file_with_a_bad_row_shows_why_and_cannot_be_imported(admin_client, statement):
    rows = [list(row) for row in FORM_ROWS]
    rows[2][1] = "info at cchr"
    page = upload(admin_client, statement, csv_bytes(rows=rows))
    assert page.status_code == 422
    problems = [" ".join(li.get_text().split()) for li in parse(page).select(".import-problems li")]
    assert problems == ["Line 4, “Email Address”: Please give a valid email address, like name@example.org."]
    assert parse(page).find("input", attrs={"name": "submit"}) is None
    forced = press(admin_client, page, "submit")
    assert forced.status_code == 422 and stored() == [] and events() == []


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "photo.png", "Please choose a spreadsheet saved as CSV"),
        (
            b"%PDF-1.4 a statement",
            "statement.csv",
            "This is not a spreadsheet. Please upload a CSV or XLSX file.",
        ),
        (b"PK\x03\x04 not really a workbook", "list.xlsx", "This is not a spreadsheet."),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_gets_a_clear_message(admin_client, statement, data, name, message):
    response = upload(admin_client, statement, data, name=name)
    assert response.status_code == 422
    assert message in text_of(response)
    assert stored() == []


def test_a_preview_that_was_tampered_with_or_belongs_to_another_admin_is_refused(
    admin_client, statement, make_moderator
):
    page = upload(admin_client, statement, csv_bytes())
    values = form_values(page, PREVIEW)
    tampered = admin_client.post(
        PREVIEW, data={**values, "sheet": values["sheet"][:-2] + "xx", "submit": "y"}
    )
    assert tampered.status_code == 302 and tampered.headers["Location"].endswith(PAGE)
    assert "expired or was changed" in text_of(admin_client.get(PAGE))
    make_moderator(email="other-admin@example.org", role="admin")
    auth = AuthActions(admin_client)  # the same browser, now another admin's
    auth.logout()
    auth.login(email="other-admin@example.org")
    token = csrf_from(admin_client.get(PAGE))
    stolen = admin_client.post(PREVIEW, data={**values, "csrf_token": token, "submit": "y"})
    assert stolen.status_code == 302 and stored() == []


def test_moderators_who_are_not_admins_get_403(moderator_client, statement):
    assert moderator_client.get(PAGE).status_code == 403
    token = csrf_from(moderator_client.get("/moderation/"))
    data = {
        "csrf_token": token,
        "statement_id": str(statement.id),
        "spreadsheet": (io.BytesIO(csv_bytes()), "a.csv"),
    }
    assert moderator_client.post(PAGE, data=data, content_type="multipart/form-data").status_code == 403
    assert moderator_client.post(PREVIEW, data={"csrf_token": token}).status_code == 403
    assert stored() == []


def test_an_upload_without_its_csrf_token_is_refused(admin_client, statement):
    data = {"statement_id": str(statement.id), "spreadsheet": (io.BytesIO(csv_bytes()), "a.csv")}
    response = admin_client.post(PAGE, data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and stored() == []


def test_the_sample_file_imports_as_it_is(admin_client, statement):
    sample = admin_client.get(PAGE + "sample.csv")
    assert sample.status_code == 200 and sample.mimetype == "text/csv"
    page = upload(admin_client, statement, sample.data, name="endorsements-sample.csv")
    assert "2 new endorsements will join the queue." in text_of(page)
    press(admin_client, page, "submit")
    assert [e.language for e in stored()] == ["en", "km"]
    assert stored()[0].organisation_km == "បណ្តាញអ្នកនេសាទមេគង្គ"


# ---------------------------------------------------------------- the email hint


def hints(page) -> list[str]:
    return [" ".join(p.get_text().split()) for p in parse(page).select(".email-hint")]


@pytest.mark.parametrize(
    "email, website, expected",
    [
        ("sophea@mfn.example.org", "https://www.mfn.example.org/about", "own domain (mfn.example.org)"),
        ("sophea@mail.mfn.example.org", "mfn.example.org", "own domain (mail.mfn.example.org)"),
        ("sophea@other.example.org", "https://mfn.example.org", None),
        ("sophea@example.org", None, None),
        ("someone@gmail.com", "https://mfn.example.org", "free mail provider (gmail.com)"),
        ("someone@gmx.de", None, "free mail provider (gmx.de)"),
    ],
)
def test_the_queue_and_the_detail_page_hint_at_the_email_domain(
    moderator_client, statement, make_endorsement, email, website, expected
):
    endorsement = make_endorsement(statement, email=email, website=website)
    for url in ("/moderation/", f"/moderation/endorsements/{endorsement.id}"):
        shown = hints(moderator_client.get(url))
        if expected is None:
            assert shown == []
        else:
            assert len(shown) == 1 and expected in shown[0]


def test_the_hint_rules():
    assert website_host("HTTPS://WWW.Example.ORG:8443/x") == "example.org"
    assert same_organisation_domain("example.org", "kh.example.org")
    assert not same_organisation_domain("ample.org", "example.org")
    assert (
        is_free_provider("yahoo.co.uk")
        and is_free_provider("proton.me")
        and not is_free_provider("gmx-ngo.org")
    )
    assert email_hint(Endorsement(email=None, website="https://example.org")) is None
