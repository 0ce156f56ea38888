import csv
import io
import json
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from extensions import db
from models import EndorsementStatus, now_utc
from tests.helpers import ROOT, count_line, expected_lines, parse, pdf_text, squash
from views import exports
from views.exports import as_pdf as real_as_pdf
from views.exports import local_only_fetcher

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "pdf": "application/pdf",
}
ARTIFACTS = ROOT / "test-artifacts"
KHMER_NAME = "សហគមន៍ព្រៃឡង់"
CONTACT = {
    "contact_name": "Secret Contactperson",
    "email": "secret.contact@example.org",
    "phone": "+855 12 987 654",
    "message": "Private note for the moderators",
}


def pdf_fonts(data: bytes) -> set[str]:
    """The fonts the first page embeds: a Khmer name set in a Latin font would show as boxes."""
    fonts = PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]
    return {str(font["/BaseFont"]) for font in fonts.values()}


def export_text(response) -> str:
    """What a reader of the download sees, whatever its format."""
    if response.mimetype == "application/pdf":
        return pdf_text(response.data)
    return response.get_data(as_text=True)


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def display_names(rows: list[dict]) -> list[str]:
    """Rebuild 'Name (ACRONYM) (Location)' from the separate CSV/JSON columns."""
    return [
        row["organisation"] + "".join(f" ({row[field]})" for field in ("acronym", "location") if row[field])
        for row in rows
    ]


def today() -> str:
    day = now_utc().date()
    return f"{day.day} {day:%B %Y}"


@pytest.fixture
def mixed_statement(make_statement, make_endorsement):
    """Two approved names, stored out of creation order, among every non-public status."""
    statement = make_statement(slug="mixed", title="Mixed *list*")
    make_endorsement(statement, EndorsementStatus.APPROVED, organisation="Second Org", position=7, **CONTACT)
    make_endorsement(
        statement, EndorsementStatus.APPROVED, organisation="First Org", acronym="FO", position=3
    )
    for status in (
        EndorsementStatus.PENDING,
        EndorsementStatus.UNCONFIRMED,
        EndorsementStatus.REJECTED,
        EndorsementStatus.WITHDRAWN,
    ):
        make_endorsement(statement, status, organisation=f"Hidden {status} Org", **CONTACT)
    return statement


@pytest.mark.parametrize("extension", FORMATS)
def test_each_format_downloads_with_its_type_and_filename(client, mixed_statement, extension):
    response = client.get(f"/statements/mixed/endorsements.{extension}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == FORMATS[extension]
    disposition = "inline" if extension == "pdf" else "attachment"
    assert (
        response.headers["Content-Disposition"] == f"{disposition}; filename=mixed-endorsements.{extension}"
    )


@pytest.mark.parametrize("extension", FORMATS)
def test_each_format_lists_only_approved_names_in_list_order(client, mixed_statement, extension):
    text = export_text(client.get(f"/statements/mixed/endorsements.{extension}"))
    assert "Hidden" not in text
    assert text.index("First Org") < text.index("Second Org")


@pytest.mark.parametrize("extension", FORMATS)
def test_no_export_carries_contact_details(client, mixed_statement, extension):
    text = squash(export_text(client.get(f"/statements/mixed/endorsements.{extension}")))
    for value in CONTACT.values():
        assert squash(value) not in text
    assert "contact" not in text.lower() and "email" not in text.lower()


@pytest.mark.parametrize("extension", [*FORMATS, "embed"])
@pytest.mark.parametrize("slug", ["draft", "no-such-statement"])
def test_draft_and_unknown_statements_have_no_exports(
    client, make_statement, make_endorsement, slug, extension
):
    draft = make_statement(slug="draft", status="draft")
    make_endorsement(draft, EndorsementStatus.APPROVED, organisation="Early Org")
    path = "embed" if extension == "embed" else f"endorsements.{extension}"
    response = client.get(f"/statements/{slug}/{path}")
    assert response.status_code == 404
    assert b"Early Org" not in response.data


def test_csv_of_the_shared_statement_has_all_43_names_in_order(client, shared_statement):
    response = client.get(f"/statements/{shared_statement.slug}/endorsements.csv")
    rows = csv_rows(response)
    assert list(rows[0]) == ["number", "organisation", "organisation_km", "acronym", "location", "website"]
    assert [row["number"] for row in rows] == [str(n) for n in range(1, 44)]
    assert display_names(rows) == expected_lines()
    assert response.data.startswith("\ufeff".encode())


def test_csv_numbers_by_rank_not_by_stored_position(client, mixed_statement):
    rows = csv_rows(client.get("/statements/mixed/endorsements.csv"))
    assert [(row["number"], row["organisation"], row["acronym"]) for row in rows] == [
        ("1", "First Org", "FO"),
        ("2", "Second Org", ""),
    ]


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1:A2)", "\tTab", "\rCR"]
)
def test_csv_neutralises_cells_that_start_like_a_formula(client, make_statement, make_endorsement, name):
    statement = make_statement(slug="hostile")
    make_endorsement(statement, EndorsementStatus.APPROVED, organisation=name, location=name)
    row = csv_rows(client.get("/statements/hostile/endorsements.csv"))[0]
    assert row["organisation"] == "'" + name
    assert row["location"] == "'" + name


def test_json_has_only_public_fields(client, mixed_statement, make_endorsement):
    make_endorsement(
        mixed_statement, EndorsementStatus.APPROVED, organisation="Web Org", website="https://web.example"
    )
    data = json.loads(client.get("/statements/mixed/endorsements.json").data)
    assert (data["count"], data["named"], data["unnamed"]) == (3, 3, 0)
    assert data["statement"]["url"] == "http://jointly.test/statements/mixed"
    assert data["endorsements"][2] == {
        "number": 3,
        "organisation": "Web Org",
        "organisation_km": None,
        "acronym": None,
        "location": None,
        "website": "https://web.example",
    }
    assert {key for row in data["endorsements"] for key in row} == {
        "number",
        "organisation",
        "organisation_km",
        "acronym",
        "location",
        "website",
    }


@pytest.mark.parametrize("extension", ["md", "txt"])
def test_lists_read_like_the_published_list(client, shared_statement, extension):
    text = client.get(f"/statements/{shared_statement.slug}/endorsements.{extension}").get_data(as_text=True)
    assert f"Endorsed by 43 organisations as of {today()}" in text
    lines = [line for line in text.splitlines() if line[:1].isdigit()]
    assert lines == [f"{number}. {name}" for number, name in enumerate(expected_lines(), start=1)]


def test_cover_line_is_singular_for_one_name(client, make_statement, make_endorsement):
    statement = make_statement(slug="one")
    make_endorsement(statement, EndorsementStatus.APPROVED, organisation="Lonely Org")
    assert "Endorsed by 1 organisation as of" in client.get("/statements/one/endorsements.txt").get_data(
        as_text=True
    )


def test_markdown_escapes_names(client, make_statement, make_endorsement):
    statement = make_statement(slug="md", title="Title with *stars*")
    for organisation in (
        "Bold *Org* [x](http://e) _u_ <b> `c` a|b ~s~ &amp; \\",
        "# Hash Org",
        "1984. Group",
    ):
        make_endorsement(statement, EndorsementStatus.APPROVED, organisation=organisation)
    text = client.get("/statements/md/endorsements.md").get_data(as_text=True)
    assert text.startswith("# Title with \\*stars\\*\n")
    assert r"1. Bold \*Org\* \[x\](http://e) \_u\_ \<b\> \`c\` a\|b \~s\~ \&amp; \\" in text
    assert "2. \\# Hash Org" in text
    assert "3. 1984\\. Group" in text


def test_text_list_is_not_escaped(client, make_statement, make_endorsement):
    statement = make_statement(slug="plain")
    make_endorsement(statement, EndorsementStatus.APPROVED, organisation="Star *Org*")
    assert "1. Star *Org*" in client.get("/statements/plain/endorsements.txt").get_data(as_text=True)


def test_pdf_of_the_shared_statement_has_all_43_names_in_order(client, shared_statement):
    response = client.get(f"/statements/{shared_statement.slug}/endorsements.pdf")
    assert response.data.startswith(b"%PDF-")
    text = squash(pdf_text(response.data))
    assert squash("Stop Reprisals Against CENTRAL Over Better Factories Report") in text
    assert squash(f"Endorsed by 43 organisations as of {today()}") in text
    assert squash("Better Factories Cambodia is a programme run jointly") in text
    positions = [text.find(squash(name)) for name in expected_lines()]
    assert -1 not in positions
    assert positions == sorted(positions)


def test_pdf_shapes_khmer_names(client, make_statement, make_endorsement):
    statement = make_statement(slug="khmer", title=f"Statement of {KHMER_NAME}")
    make_endorsement(statement, EndorsementStatus.APPROVED, organisation=KHMER_NAME, location="Preah Vihear")
    data = client.get("/statements/khmer/endorsements.pdf").data
    assert any("Khmer" in font for font in pdf_fonts(data)), pdf_fonts(data)
    assert f"{KHMER_NAME} (Preah Vihear)" in pdf_text(data)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "khmer.pdf").write_bytes(data)
    if shutil.which("pdftoppm"):
        # For a human to look at: Khmer drawn as boxes would still extract as the right text.
        command = "pdftoppm -png -r 100 -f 1 -l 1 -singlefile khmer.pdf khmer-page-1".split()
        subprocess.run(command, cwd=ARTIFACTS, check=True, timeout=60)
        assert (ARTIFACTS / "khmer-page-1.png").stat().st_size > 0


@pytest.mark.parametrize(
    "url", ["http://example.org/font.woff", "https://example.org/a.css", "file:///etc/passwd"]
)
def test_pdf_fetches_nothing_from_the_network_or_disk(url):
    with pytest.raises(ValueError, match="disallowed protocol"):
        local_only_fetcher().fetch(url)


def test_embed_shows_the_count_and_links_to_the_statement(client, mixed_statement):
    response = client.get("/statements/mixed/embed")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert count_line(html) == ("Endorsed by 2 organisations", "2")
    link = parse(html).find("a", href="http://jointly.test/statements/mixed")
    assert (link["class"], link["target"], link["rel"]) == (["link"], "_blank", ["noopener"])
    assert "Mixed *list*" in html


def test_embed_is_self_contained(client, mixed_statement):
    html = client.get("/statements/mixed/embed").get_data(as_text=True)
    page = parse(html)
    assert page.find_all(["style", "script"]) == [] and page.find_all(style=True) == []
    stylesheet_url = page.find("link", rel="stylesheet")["href"]
    assert stylesheet_url.startswith("/static/embed.css?v=")
    assert "site.css" not in html and "Hidden" not in html and "First Org" not in html
    with client.get(stylesheet_url) as stylesheet:
        assert stylesheet.status_code == 200


def test_only_the_embed_may_be_framed(client, mixed_statement):
    for url in ("/statements/mixed", "/statements/mixed/endorsements.csv"):
        headers = client.get(url).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY" and "X-Jointly-Embeddable" not in headers


def test_a_pdf_is_rendered_once_per_list_version_and_language(
    client, make_statement, make_endorsement, monkeypatch
):
    """Each PDF took half a second per request: six clients fetching them in a loop slowed the
    page to seconds. Now each version of the list is rendered once per language."""
    renders = []
    monkeypatch.setattr(exports, "as_pdf", lambda *args: renders.append(args) or real_as_pdf(*args))
    statement = make_statement(slug="once")
    make_endorsement(statement, status=EndorsementStatus.APPROVED, organisation="First Listed")
    english = [client.get("/statements/once/endorsements.pdf").data for _ in range(3)]
    assert len(renders) == 1 and english[0] == english[1] == english[2]
    client.get("/statements/once/endorsements.pdf", headers={"Accept-Language": "km"})
    assert len(renders) == 2
    make_endorsement(statement, status=EndorsementStatus.APPROVED, organisation="Second Listed")
    statement.bump_list_version()
    db.session.commit()
    after = client.get("/statements/once/endorsements.pdf")
    assert len(renders) == 3 and "SecondListed" in squash(pdf_text(after.data))


def test_downloads_are_marked_for_shared_caches_and_answer_304(client, make_statement):
    make_statement(slug="shared")
    response = client.get("/statements/shared/endorsements.csv")
    assert response.headers["Cache-Control"] == "public, max-age=0, s-maxage=10"
    assert {"Accept-Encoding", "Accept-Language", "Cookie"} <= set(response.vary)
    assert "Set-Cookie" not in response.headers
    etag = response.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get("/statements/shared/endorsements.csv", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_downloads_are_rate_limited_per_address(limited_client, make_statement):
    make_statement(slug="limited")
    codes = [
        limited_client.get(f"/statements/limited/endorsements.{extension}").status_code
        for extension in ["csv", "json", "md", "txt"] * 8
    ]
    assert codes[:30] == [200] * 30 and codes[30:] == [429, 429]
