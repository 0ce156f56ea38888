"""`flask endorsements import`: a coalition's spreadsheet into a statement's moderation queue."""

import codecs

import pytest
import sqlalchemy as sa

from extensions import db
from forms.hygiene import KHMER_LETTER
from models import Endorsement, EndorsementStatus, OutboxMail, StatementStatus
from tests.helpers import (
    FORM_HEADERS,
    FORM_ROWS,
    FORM_TIMES,
    csrf_from,
    csv_bytes,
    events,
    link_in,
    mail_settings,
    outbox_mails,
    parse,
    xlsx_bytes,
)


@pytest.fixture
def app_config(smtp):
    return mail_settings(smtp)


@pytest.fixture
def run_import(runner, tmp_path):
    """Write `data` to a file called `name` and import it into statement "s"."""

    def run(data: bytes, *options, name="responses.csv", slug="s"):
        path = tmp_path / name
        path.write_bytes(data)
        return runner.invoke(args=["endorsements", "import", slug, str(path), *options])

    return run


def stored() -> list[Endorsement]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Endorsement).order_by(Endorsement.id)).all()


def test_google_forms_csv_enters_the_queue_pending_with_its_source_and_timestamps(statement, run_import):
    result = run_import(csv_bytes())
    assert result.exit_code == 0, result.output
    assert "Added 3 endorsement(s) to s, 0 skipped, 0 asked to confirm" in result.output
    assert "Not imported: 'Score'" in result.output
    endorsements = stored()
    assert [e.organisation for e in endorsements] == [row[2] for row in FORM_ROWS]
    assert {e.status for e in endorsements} == {EndorsementStatus.PENDING}
    assert {e.source for e in endorsements} == {"import:responses.csv"}
    assert [e.submitted_at for e in endorsements] == FORM_TIMES
    first = endorsements[0]
    assert (first.acronym, first.location, first.website, first.contact_name, first.email, first.phone) == (
        "MFN",
        "Kratie",
        "https://mfn.example.org",
        "Chan Sophea",
        "sophea@mfn.example.org",
        "+855 12 345 678",
    )
    assert [e.language for e in endorsements] == ["en", "km", "en"]
    # The coalition vouches for its own list: no "authorised" tick to ask for.
    assert all(e.authorised for e in endorsements)
    assert len(events("import")) == 1 and len(events("import_row")) == 3
    assert events("import")[0].after["added"] == 3
    assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 0


def test_an_xlsx_of_the_same_rows_gives_the_same_endorsements(statement, make_statement, run_import):
    other = make_statement(slug="t")
    assert run_import(csv_bytes()).exit_code == 0
    result = run_import(xlsx_bytes(), name="responses.xlsx", slug="t")
    assert result.exit_code == 0, result.output

    def rows(statement_id):
        fields = (
            "organisation",
            "acronym",
            "location",
            "website",
            "email",
            "phone",
            "submitted_at",
            "status",
        )
        return [
            tuple(getattr(e, name) for name in fields) for e in stored() if e.statement_id == statement_id
        ]

    assert rows(other.id) == rows(statement.id)
    assert {e.source for e in stored() if e.statement_id == other.id} == {"import:responses.xlsx"}


def test_the_same_file_again_adds_nothing_and_reports_each_skipped_row(statement, run_import):
    run_import(csv_bytes())
    again = run_import(csv_bytes())
    assert again.exit_code == 0, again.output
    assert "Added 0 endorsement(s) to s, 3 skipped" in again.output
    assert "Line 2: skipped (Mekong Fishers Network MFN): already on the statement." in again.output
    assert len(stored()) == 3 and len(events("import_row")) == 3


def test_a_withdrawn_endorsement_is_not_brought_back_by_a_second_import(statement, run_import):
    run_import(csv_bytes())
    withdrawn = stored()[0]
    withdrawn.move("withdraw")
    db.session.commit()
    assert "3 skipped" in run_import(csv_bytes()).output
    assert stored()[0].status == EndorsementStatus.WITHDRAWN


def test_a_row_repeated_within_the_file_is_skipped_and_named(statement, run_import):
    rows = [*FORM_ROWS, [*FORM_ROWS[0][:2], " mekong  fishers network ", *FORM_ROWS[0][3:]]]
    result = run_import(csv_bytes(rows=rows))
    assert "Line 5: skipped (mekong  fishers network MFN): repeats line 2." in result.output
    assert len(stored()) == 3


@pytest.mark.parametrize(
    "column, bad_value, why",
    [
        (1, "not-an-email", "Please give a valid email address"),
        (2, '=HYPERLINK("http://x")', "Please start with a letter or number"),
        (2, "Buy followers at www.spam.com", "Please put the web address in the Website field"),
        (6, "", "Please tell us who to contact"),
        (5, "mfn dot org", "Please enter a web address, like example.org.kh"),
        (0, "the 3rd of May", "not a date and time we can read"),
    ],
)
def test_a_file_with_one_bad_row_stores_nothing_and_names_the_line_and_why(
    statement, run_import, column, bad_value, why
):
    rows = [list(row) for row in FORM_ROWS]
    rows[1][column] = bad_value
    result = run_import(csv_bytes(rows=rows))
    assert result.exit_code == 1
    assert f"Line 3, “{FORM_HEADERS[column]}”: {why}" in result.output
    assert "Nothing was imported." in result.output
    assert stored() == [] and events() == []


def test_line_numbers_are_the_files_own_when_a_cell_holds_line_breaks(statement, run_import):
    rows = [list(row) for row in FORM_ROWS]
    rows[0][8] = "We support this.\nAll of us.\nSigned."
    rows[1][1] = "broken@"
    result = run_import(csv_bytes(rows=rows))
    # The header is line 1, the first row lines 2-4, so the bad row starts on line 5.
    assert "Line 5, “Email Address”" in result.output
    assert stored() == []


def test_dry_run_reports_and_stores_nothing(statement, run_import):
    result = run_import(csv_bytes(), "--dry-run", "--ask-to-confirm")
    assert result.exit_code == 0, result.output
    assert "Would add 3 endorsement(s) to s, 0 skipped, 3 asked to confirm" in result.output
    assert "Dry run: nothing was stored." in result.output
    assert stored() == [] and events() == []
    assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 0


def test_ask_to_confirm_mails_each_contact_once_in_the_language_of_the_row(
    client, statement, run_import, smtp
):
    result = run_import(csv_bytes(), "--ask-to-confirm")
    assert result.exit_code == 0, result.output
    assert "3 asked to confirm by mail" in result.output
    messages = smtp.inbox.wait_for(3)
    assert sorted(m["To"] for m in messages) == sorted(row[1] for row in FORM_ROWS)
    assert {e.status for e in stored()} == {EndorsementStatus.UNCONFIRMED}
    khmer = smtp.inbox.to("dara@example.org")[0]
    assert KHMER_LETTER.search(khmer["Subject"])
    english = smtp.inbox.to("sophea@mfn.example.org")[0]
    assert english["Subject"] == 'Please confirm your endorsement of "Free the Press"'
    # The link works like a sign-on's: confirming moves the row to the pending queue.
    path = link_in(english.get_body(("plain",)).get_content(), "/confirm/")
    client.post(path, data={"csrf_token": csrf_from(client.get(path))})
    assert [e.status for e in stored()][0] == EndorsementStatus.PENDING
    # Importing again queues no mail for anybody.
    run_import(csv_bytes(), "--ask-to-confirm")
    assert len(outbox_mails("confirm_endorsement")) == 3


@pytest.mark.parametrize(
    "delimiter, encoding",
    [
        (";", "utf-8"),  # Excel in locales with a decimal comma
        ("\t", "utf-8"),
        (",", "utf-8-sig"),  # "CSV UTF-8" from Excel: with a byte-order mark
        ("\t", "utf-16"),  # Excel's "Unicode text": UTF-16 with a mark, tab-separated
        (",", "utf-16-le"),  # UTF-16 without a mark
    ],
)
def test_separators_and_encodings_spreadsheets_write(statement, run_import, delimiter, encoding):
    rows = [[cell.replace(",", " ") for cell in row] for row in FORM_ROWS]
    result = run_import(csv_bytes(rows=rows, delimiter=delimiter, encoding=encoding))
    assert result.exit_code == 0, result.output
    assert [e.organisation for e in stored()] == [row[2] for row in FORM_ROWS]
    assert stored()[1].organisation == "សហគមន៍ព្រៃឡង់"


def test_a_legacy_encoding_is_read_as_windows_1252_or_as_told(statement, run_import):
    rows = [list(row) for row in FORM_ROWS if not KHMER_LETTER.search(row[2])]
    rows[0][2] = "Société Civile Mékong"
    data = csv_bytes(rows=rows, encoding="cp1252")
    result = run_import(data)
    assert result.exit_code == 0 and "(windows-1252, comma-separated)" in result.output
    assert stored()[0].organisation == "Société Civile Mékong"
    latin = run_import(csv_bytes(rows=rows, encoding="latin-1"), "--encoding", "latin-1", "--dry-run")
    assert latin.exit_code == 0 and "Would add 0" in latin.output  # the same rows, so skipped
    unknown = run_import(data, "--encoding", "klingon")
    assert unknown.exit_code == 1 and "Unknown text encoding “klingon”" in unknown.output


def test_khmer_headers_are_recognised_whatever_their_case_and_spacing(statement, run_import):
    headers = ["ឈ្មោះអង្គការ", "  EMAIL   address ", "ខេត្ត", "លេខទូរស័ព្ទ", "អ្នកទំនាក់ទំនង", "name-of-organization"]
    rows = [["សហគមន៍ព្រៃឡង់", "dara@example.org", "ព្រះវិហារ", "012 345 678", "សុខ ដារា", ""]]
    result = run_import(csv_bytes(headers, rows))
    assert result.exit_code == 0, result.output
    (endorsement,) = stored()
    assert (endorsement.organisation, endorsement.location, endorsement.phone) == (
        "សហគមន៍ព្រៃឡង់",
        "ព្រះវិហារ",
        "012 345 678",
    )
    # Two columns for one field: the first one fills it, the other is reported as not imported.
    assert "Not imported: 'name-of-organization'" in result.output


def test_map_names_any_other_column_and_leaves_one_out(statement, run_import):
    headers = ["Org", "Who", "Mail", "Website"]
    rows = [["Mekong Fishers Network", "Chan Sophea", "sophea@mfn.example.org", "not a web address"]]
    data = csv_bytes(headers, rows)
    missing = run_import(data)
    assert missing.exit_code == 1
    assert "no column for" in missing.output and "(organisation)" in missing.output
    result = run_import(
        data,
        "--map",
        "organisation=org",
        "--map",
        "contact_name=Who",
        "--map",
        "email=MAIL",
        "--map",
        "website=",
    )
    assert result.exit_code == 0, result.output
    assert stored()[0].website is None


@pytest.mark.parametrize(
    "option, message",
    [
        ("colour=Org", "There is no field “colour” to fill."),
        ("organisation=Organisation", "The file has no column “Organisation”."),
        ("organisation", "is not FIELD=HEADER"),
    ],
)
def test_a_wrong_map_is_refused_clearly(statement, run_import, option, message):
    result = run_import(csv_bytes([*FORM_HEADERS[:2], "Org", *FORM_HEADERS[3:]]), "--map", option)
    assert result.exit_code != 0 and message in result.output
    assert stored() == []


def test_day_first_dates_are_recognised_and_a_time_zone_applies(statement, run_import):
    rows = [list(row) for row in FORM_ROWS]
    rows[0][0], rows[1][0], rows[2][0] = "29/11/2026 14:03:12", "03/04/2026 08:00:00", "2026-12-01T17:45:30"
    result = run_import(csv_bytes(rows=rows), "--timezone", "Asia/Phnom_Penh")
    assert result.exit_code == 0, result.output
    assert [e.submitted_at.isoformat() for e in stored()] == [
        "2026-11-29T07:03:12",
        "2026-04-03T01:00:00",
        "2026-12-01T10:45:30",
    ]


def test_ambiguous_dates_are_read_month_first_and_said_so(statement, run_import):
    rows = [list(row) for row in FORM_ROWS]
    for row, stamp in zip(rows, ("03/04/2026 08:00", "03/05/2026 9:30:00 PM", ""), strict=True):
        row[0] = stamp
    result = run_import(csv_bytes(rows=rows))
    assert "read as month first" in result.output
    times = [e.submitted_at for e in stored()]
    assert [t.isoformat() for t in times[:2]] == ["2026-03-04T08:00:00", "2026-03-05T21:30:00"]
    assert times[2] is not None  # no timestamp: the time of the import


def test_dates_that_mix_both_orders_are_refused(statement, run_import):
    rows = [list(row) for row in FORM_ROWS]
    rows[0][0], rows[1][0] = "29/11/2026 14:03:12", "11/30/2026 14:03:12"
    result = run_import(csv_bytes(rows=rows))
    assert result.exit_code == 1 and "mix day-first and month-first" in result.output
    assert stored() == []


def test_the_anonymous_column_reads_yes_and_no(statement, run_import):
    headers = ["Organisation", "Contact", "Email", "Count us, but do not publish our name"]
    answers = ["Yes", "no", "", "✓", "ទេ"]
    rows = [[f"Org {i}", "A B", f"a{i}@example.org", answer] for i, answer in enumerate(answers)]
    assert run_import(csv_bytes(headers, rows)).exit_code == 0
    assert [e.anonymous for e in stored()] == [True, False, False, True, False]


def test_rows_matching_an_existing_endorsement_are_flagged_in_the_queue(
    statement, make_endorsement, run_import, moderator_client
):
    existing = make_endorsement(
        statement, status=EndorsementStatus.APPROVED, organisation="Mekong Fishers Network", location="Kratie"
    )
    result = run_import(csv_bytes())
    assert "Line 2: possible duplicate of Mekong Fishers Network (Kratie)" in result.output
    imported = next(e for e in stored() if e.email == "sophea@mfn.example.org")
    item = parse(moderator_client.get("/moderation/")).find(id=f"endorsement-{imported.id}")
    warning = item.find(class_="duplicate-warning")
    assert warning is not None and warning.find("a")["href"].endswith(f"/endorsements/{existing.id}")


def test_a_closed_statement_takes_no_import(statement, run_import):
    statement.status = StatementStatus.CLOSED
    db.session.commit()
    result = run_import(csv_bytes())
    assert result.exit_code == 1 and "This statement is closed" in result.output
    assert stored() == []


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "list.csv", "This is not a spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "list.xls", "an old Excel file (.xls)"),
        (b"PK\x03\x04" + bytes(100), "list.xlsx", "This is not a spreadsheet"),
        (bytes(range(256)) * 4, "list.csv", "This is not a spreadsheet"),
        (b"", "list.csv", "The file is empty."),
        (codecs.BOM_UTF8 + b"\r\n\r\n", "list.csv", "The file is empty."),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_gets_a_clear_message(statement, run_import, data, name, message):
    result = run_import(data, name=name)
    assert result.exit_code == 1 and message in result.output
    assert stored() == []


def test_an_unknown_statement_is_named(statement, run_import):
    result = run_import(csv_bytes(), slug="nope")
    assert result.exit_code == 1 and "No statement with the slug 'nope'" in result.output
