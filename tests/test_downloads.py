"""The downloads and the embed, found where people look for them: links under the list on the
statement page, the embed snippet on the admin's statement page; and every download carries the
Khmer-script name and the total the page shows."""

import csv
import io
import json

import pytest

from models import EndorsementStatus, Role
from tests.helpers import parse, pdf_text, squash, text_of

KHMER_NAME = "សហគមន៍ព្រៃឡង់"
DOWNLOADS = {
    "CSV": "endorsements.csv",
    "JSON": "endorsements.json",
    "Markdown": "endorsements.md",
    "Text": "endorsements.txt",
    "PDF": "endorsements.pdf",
}


@pytest.fixture
def listed(make_statement, make_endorsement):
    """Two named endorsers (one with a Khmer-script name) and one that asked not to be named."""
    statement = make_statement(slug="s", title="Protect Prey Lang")
    make_endorsement(
        statement,
        EndorsementStatus.APPROVED,
        organisation="Prey Lang Community",
        organisation_km=KHMER_NAME,
        location="Kratie",
    )
    make_endorsement(statement, EndorsementStatus.APPROVED, organisation="Second Org", acronym="SO")
    make_endorsement(statement, EndorsementStatus.APPROVED, organisation="Quiet Org", anonymous=True)
    return statement


def download_links(page) -> dict[str, str]:
    paragraph = parse(page).find("p", class_="downloads")
    assert paragraph is not None, "no download links on the page"
    return {link.get_text(): link["href"] for link in paragraph.find_all("a")}


def test_the_statement_page_links_to_every_download(client, listed):
    page = client.get("/statements/s")
    links = download_links(page)
    assert links == {name: f"/statements/s/{path}" for name, path in DOWNLOADS.items()}
    for href in links.values():
        assert client.get(href).status_code == 200, href
    # Beside the list, and the page is still one page for every reader.
    assert parse(page).find("p", class_="downloads").find_parent("section")["class"] == ["endorsers"]
    assert page.headers["Cache-Control"].startswith("public")


def test_the_links_are_the_same_for_every_reader(app, listed):
    pages = [app.test_client().get("/statements/s").get_data(as_text=True) for _ in range(2)]
    assert pages[0] == pages[1]


def test_the_links_in_khmer(client, listed):
    client.set_cookie("lang", "km")
    links = download_links(client.get("/statements/s"))
    assert list(links) == ["CSV", "JSON", "Markdown", "អត្ថបទ", "PDF"]


def test_no_download_links_without_endorsers(client, make_statement):
    make_statement(slug="empty")
    assert parse(client.get("/statements/empty")).find("p", class_="downloads") is None


# ---------------------------------------------------------------- the embed snippet


@pytest.fixture
def admin_client(client, auth, make_moderator):
    make_moderator(email="admin@example.org", role=Role.ADMIN)
    auth.login("admin@example.org")
    return client


def test_the_admin_statement_page_offers_the_embed_ready_to_copy(admin_client, listed):
    response = admin_client.get(f"/moderation/admin/statements/{listed.id}/edit")
    page = parse(response)
    snippets = {}
    for code in ("en", "km"):
        box = page.find("textarea", id=f"embed-{code}")
        assert box is not None and box.has_attr("readonly")
        assert page.find("label", attrs={"for": f"embed-{code}"}) is not None
        frame = parse(box.get_text()).find("iframe")  # what a person copies is the snippet itself
        assert frame["title"] == "Protect Prey Lang"
        snippets[code] = frame["src"]
    assert snippets == {
        "en": "http://jointly.test/statements/s/embed?lang=en",
        "km": "http://jointly.test/statements/s/embed?lang=km",
    }
    khmer = admin_client.get(snippets["km"].removeprefix("http://jointly.test"))
    assert "គាំទ្រដោយអង្គការចំនួន 3" in text_of(khmer)
    assert set(download_links(response)) == set(DOWNLOADS)


def test_a_title_with_markup_stays_text_in_the_snippet(admin_client, make_statement):
    statement = make_statement(slug="quoted", title='Say "no" </textarea><b>')
    box = parse(admin_client.get(f"/moderation/admin/statements/{statement.id}/edit")).find(
        "textarea", id="embed-en"
    )
    assert parse(box.get_text()).find("iframe")["title"] == 'Say "no" </textarea><b>'


def test_a_new_statement_has_no_snippet_yet(admin_client):
    assert parse(admin_client.get("/moderation/admin/statements/new")).find("textarea", id="embed-en") is None


# ---------------------------------------------------------------- Khmer names and counts


def test_csv_has_the_khmer_name_in_its_own_column(client, listed):
    data = client.get("/statements/s/endorsements.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data)))
    assert [(row["organisation"], row["organisation_km"]) for row in rows] == [
        ("Prey Lang Community", KHMER_NAME),
        ("Second Org", ""),
    ]


def test_json_has_the_khmer_name_and_the_total_the_page_shows(client, listed):
    data = json.loads(client.get("/statements/s/endorsements.json").data)
    assert data["endorsements"][0]["organisation_km"] == KHMER_NAME
    assert data["endorsements"][1]["organisation_km"] is None
    assert (data["count"], data["named"], data["unnamed"]) == (3, 2, 1)
    assert "Endorsed by 3 organisations" in text_of(client.get("/statements/s"))
    assert "Quiet Org" not in json.dumps(data)


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", f"1. Prey Lang Community ({KHMER_NAME}) (Kratie)"),
        ("km", f"1. {KHMER_NAME} (Prey Lang Community) (Kratie)"),
    ],
)
@pytest.mark.parametrize("extension", ["md", "txt"])
def test_text_lists_give_the_khmer_name_beside_the_latin_one(client, listed, extension, language, line):
    client.set_cookie("lang", language)
    text = client.get(f"/statements/s/endorsements.{extension}").get_data(as_text=True)
    assert line in text.splitlines()
    assert "2. Second Org (SO)" in text.splitlines()


def test_pdf_gives_the_khmer_name_beside_the_latin_one(client, listed):
    text = squash(pdf_text(client.get("/statements/s/endorsements.pdf").data))
    assert squash(f"Prey Lang Community ({KHMER_NAME}) (Kratie)") in text
