"""Public pages in Khmer: every page in the reader's language, statements in two languages
sharing one list of endorsers, names in two scripts, and the releases of the list."""

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from domain.tokens import make_token
from extensions import db
from models import Endorsement, StatementTranslation, now_utc
from tests.helpers import (
    count_line,
    csrf_from,
    events,
    form_values,
    list_items,
    parse,
    pdf_text,
    sign,
    squash,
    text_of,
)
from tests.khmer import (
    KM_STATEMENT,
    PREY_LANG_KM,
    assert_khmer_page,
    khmer_count_line,
    khmer_script_fields,
    km,
    page_language,
)

SLUG = "stop-reprisals-against-central"
KM_TITLE = "បញ្ឈប់ការសងសឹកលើអង្គការ CENTRAL ជុំវិញរបាយការណ៍ស្តីពីកម្មវិធី Better Factories"
EN_TITLE = "Stop Reprisals Against CENTRAL Over Better Factories Report"


# ---------------------------------------------------------------- pages in Khmer


def test_statement_page_in_khmer(khmer_client, shared_statement):
    html = khmer_client.get("/").get_data(as_text=True)
    assert_khmer_page(html, "Endorse this statement", "Sign this statement", "Language")
    form = khmer_client.get(f"/statements/{shared_statement.slug}/sign").get_data(as_text=True)
    assert_khmer_page(form, "Endorse this statement", "Your organisation", "Name in Khmer script", "Language")
    assert count_line(html) == khmer_count_line(43)
    assert "27 មិថុនា 2024" in html  # the date in the reader's language
    assert len(list_items(html)) == 43
    # No Khmer text yet: the English one, marked as such, with a notice in Khmer.
    notice = km(
        "This statement is not available in %(wanted)s; showing the %(shown)s version.",
        wanted="ខ្មែរ",
        shown="អង់គ្លេស",
    )
    assert notice in text_of(html) and parse(html).find("article", class_="statement")["lang"] == "en"


@pytest.mark.parametrize(
    "fields, message",
    [
        (
            {"organisation": "", "contact_name": "", "authorised": None},
            "Please give the organisation's name.",
        ),
        (
            {"organisation": "x" * 201},
            "Please shorten this to %(max)d characters or fewer; it has %(length)d.",
        ),
        (
            {"organisation_km": "Latin letters only"},
            "Please write this name in Khmer script, or leave the field empty.",
        ),
        ({"organisation_km": "=សហគមន៍"}, "Please start with a letter or number, not = + - or @."),
        ({"email": "not-an-email"}, "Please give a valid email address, like name@example.org."),
    ],
)
def test_form_errors_in_khmer(khmer_client, make_statement, fields, message):
    make_statement(slug="s")
    response = sign(khmer_client, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert_khmer_page(html, "Please correct the following")
    assert km(message, max=200, length=201) in text_of(html)
    assert db.session.scalar(sa.select(sa.func.count(Endorsement.id))) == 0


def test_thanks_confirm_and_manage_pages_in_khmer(khmer_client, make_statement, make_endorsement):
    statement = make_statement(slug="s")
    endorsement = make_endorsement(
        statement, status="unconfirmed", organisation="Org", organisation_km="អង្គការ"
    )
    thanks = khmer_client.get("/statements/s/thanks").get_data(as_text=True)
    assert_khmer_page(
        thanks, "Thank you", "A moderator checks each endorsement before it is added to the public list."
    )

    confirm = khmer_client.get(f"/confirm/{make_token(endorsement.id, 'confirm')}").get_data(as_text=True)
    assert_khmer_page(confirm, "Confirm your endorsement", "Confirm")
    assert "អង្គការ (Org)" in confirm  # the Khmer-script name first on a Khmer page

    manage = khmer_client.get(f"/manage/{make_token(endorsement.id, 'manage')}").get_data(as_text=True)
    assert_khmer_page(
        manage, "Your endorsement", "Ask for a correction of the name", "Ask for this correction"
    )
    assert km("waiting for your confirmation") in manage


def test_login_error_and_closed_pages_in_khmer(khmer_client, make_statement):
    assert_khmer_page(
        khmer_client.get("/login").get_data(as_text=True), "Moderator login", "Password", "Log in"
    )
    missing = khmer_client.get("/statements/nothing-here")
    assert missing.status_code == 404
    assert_khmer_page(missing.get_data(as_text=True), "Page not found", "Go to the home page")
    bad_link = khmer_client.get("/confirm/garbage").get_data(as_text=True)
    assert_khmer_page(bad_link, "This link is not valid. Please copy the whole link from the email.")
    make_statement(slug="open-one")
    make_statement(slug="open-two")
    make_statement(slug="closed", status="closed")
    closed = khmer_client.get("/statements/closed").get_data(as_text=True)
    assert_khmer_page(closed, "Sign-on is closed")
    index = khmer_client.get("/").get_data(as_text=True)
    assert_khmer_page(index, "Joint statements")
    assert km("closed") in [badge.get_text() for badge in parse(index).find_all("span", class_="badge")]


# ---------------------------------------------------------------- statements in two languages


def import_khmer(runner, *extra):
    return runner.invoke(
        args=["statements", "import", str(KM_STATEMENT), "--translation-of", SLUG, "--language", "km", *extra]
    )


def test_shared_statement_in_khmer_and_english_with_one_list_of_43(runner, client, shared_statement):
    result = import_khmer(runner)
    assert result.exit_code == 0, result.output
    assert "text updated" in result.output and "list of 43 endorser(s) was ignored" in result.output
    again = import_khmer(runner)
    assert again.exit_code == 0 and "already up to date" in again.output
    assert db.session.scalar(sa.select(sa.func.count(StatementTranslation.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Endorsement.id))) == 43

    english = client.get(f"/statements/{SLUG}").get_data(as_text=True)
    khmer = client.get(f"/statements/{SLUG}?lang=km").get_data(as_text=True)
    assert page_language(english) == "en" and parse(english).h1.get_text() == EN_TITLE
    assert page_language(khmer) == "km" and parse(khmer).h1.get_text() == KM_TITLE
    assert "សេចក្តីសម្រេចរបស់ក្រសួងមហាផ្ទៃ" in khmer and "The Interior Ministry" not in khmer
    assert parse(khmer).find("p", class_="kicker").get_text() == "សេចក្តីថ្លែងការណ៍រួម"
    # Each links to the other; neither falls back.
    assert link_to_the_statement_in(english, "km") == ("km", "km", "ខ្មែរ")
    assert link_to_the_statement_in(khmer, "en") == ("en", "en", "English")
    assert parse(english).find(class_="language-notice") is None
    assert parse(khmer).find(class_="language-notice") is None
    # One list, the same in both.
    assert len(list_items(english)) == 43 and list_items(english) == list_items(khmer)
    assert count_line(english) == ("Endorsed by 43 organisations", "43")
    assert count_line(khmer) == khmer_count_line(43)


def link_to_the_statement_in(page, language: str) -> tuple[str, str, str]:
    """The link to the shared statement in `language`: its hreflang, lang and text."""
    link = parse(page).find("a", href=f"/statements/{SLUG}?lang={language}")
    return link["hreflang"], link["lang"], link.get_text()


def test_a_new_endorser_joins_the_one_list_from_either_language(
    runner, client, shared_statement, make_endorsement
):
    import_khmer(runner)
    make_endorsement(shared_statement, status="approved", organisation="Signed In Khmer", language="km")
    for lang in ("en", "km"):
        items = list_items(client.get(f"/statements/{SLUG}?lang={lang}").get_data(as_text=True))
        assert len(items) == 44 and items[-1] == "Signed In Khmer"


@pytest.mark.parametrize(
    "args, problem",
    [
        (["--translation-of", "no-such-statement", "--language", "km"], "no statement 'no-such-statement'"),
        (["--translation-of", SLUG], "needs PATH, --translation-of SLUG and --language CODE"),
        (["--translation-of", SLUG, "--language", "fr"], "use one of en, km"),
        (["--translation-of", SLUG, "--language", "en"], "the statement's own language"),
    ],
)
def test_translation_import_refusals(runner, shared_statement, args, problem):
    result = runner.invoke(args=["statements", "import", str(KM_STATEMENT), *args])
    assert result.exit_code != 0 and problem in result.output
    assert db.session.scalar(sa.select(sa.func.count(StatementTranslation.id))) == 0


def test_translation_of_another_date_is_refused(runner, shared_statement, tmp_path):
    other = tmp_path / "other.md"
    other.write_text(
        KM_STATEMENT.read_text(encoding="utf-8").replace("2024-06-27", "2024-07-01"), encoding="utf-8"
    )
    result = runner.invoke(
        args=["statements", "import", str(other), "--translation-of", SLUG, "--language", "km"]
    )
    assert result.exit_code != 0 and "is it a translation of another statement?" in result.output


# ---------------------------------------------------------------- names in two scripts


def test_signon_stores_both_names_anonymity_and_language(khmer_client, make_statement):
    make_statement(slug="s")
    assert sign(khmer_client, organisation_km=f"  {PREY_LANG_KM} ", anonymous="y").status_code == 303
    endorsement = db.session.scalar(sa.select(Endorsement))
    assert endorsement.organisation_km == PREY_LANG_KM
    assert endorsement.anonymous is True and endorsement.language == "km"


def test_endorser_corrects_the_name_in_khmer_script(client, make_statement, make_endorsement):
    statement = make_statement(slug="s")
    endorsement = make_endorsement(
        statement, status="approved", organisation="Prey Lang Community", organisation_km="សហគមន៍ព្រៃ"
    )
    path = f"/manage/{make_token(endorsement.id, 'manage')}"
    assert form_values(client.get(path), "/correct")["organisation_km"] == "សហគមន៍ព្រៃ"  # as it stands now

    def correct(**fields):
        data = {"organisation": "Prey Lang Community", "csrf_token": csrf_from(client.get(path)), **fields}
        return client.post(f"{path}/correct", data=data)

    refused = correct(organisation_km="Prey Lang")
    assert refused.status_code == 422
    assert "Please write this name in Khmer script" in refused.get_data(as_text=True)
    assert correct(organisation_km="=សហគមន៍").status_code == 422
    db.session.expire_all()
    assert db.session.get(Endorsement, endorsement.id).organisation_km == "សហគមន៍ព្រៃ"

    assert correct(organisation_km=f" {PREY_LANG_KM} ", note="the full name").status_code == 303
    db.session.expire_all()
    corrected = db.session.get(Endorsement, endorsement.id)
    # A proposal: the list keeps the name until a moderator accepts it.
    assert (corrected.organisation_km, corrected.status) == ("សហគមន៍ព្រៃ", "approved")
    assert corrected.waiting_correction.proposed["organisation_km"] == PREY_LANG_KM
    (event,) = events("correction_requested")
    assert event.before["organisation_km"] == "សហគមន៍ព្រៃ" and event.after["organisation_km"] == PREY_LANG_KM
    assert event.note == "the full name"


def test_moderator_edits_the_name_in_khmer_script(client, moderator_client, make_statement, make_endorsement):
    statement = make_statement(slug="s")
    endorsement = make_endorsement(statement, status="approved", organisation="Prey Lang Community")
    page = f"/moderation/endorsements/{endorsement.id}"
    assert "organisation_km" in form_values(moderator_client.get(page), f"{page}/edit")

    def edit(**fields):
        data = {"organisation": "Prey Lang Community", "csrf_token": csrf_from(moderator_client.get(page))}
        return moderator_client.post(f"{page}/edit", data={**data, **fields})

    refused = edit(organisation_km="Prey Lang")
    assert refused.status_code == 422
    assert "Please write this name in Khmer script" in refused.get_data(as_text=True)
    assert edit(organisation_km=PREY_LANG_KM).status_code == 302
    db.session.expire_all()
    assert db.session.get(Endorsement, endorsement.id).organisation_km == PREY_LANG_KM
    (event,) = events("edit")
    assert event.before["organisation_km"] is None and event.after["organisation_km"] == PREY_LANG_KM
    assert list_items(client.get("/statements/s").get_data(as_text=True)) == [
        f"Prey Lang Community ({PREY_LANG_KM})"
    ]
    detail = moderator_client.get(page).get_data(as_text=True)
    assert PREY_LANG_KM in khmer_script_fields(detail)  # the moderator sees it beside the contact data
    assert f"organisation_km: {PREY_LANG_KM}" in detail  # and in the history, readable


# ---------------------------------------------------------------- releases of the list in Khmer


def test_text_and_pdf_cover_line_follow_the_reader(client, make_statement, make_endorsement):
    statement = make_statement(slug="s", title="Free the Press")
    make_endorsement(statement, status="approved", organisation="Prey Lang Community")
    make_endorsement(statement, status="approved", organisation="Quiet Org", anonymous=True)
    today = now_utc().date()
    cover = km(
        "Endorsed by %(num)d organisation as of %(date)s (%(unnamed)d of them asked not to be named)",
        num=2,
        date=format_date(today, "d MMMM y", locale="km"),
        unnamed=1,
    )
    text = client.get("/statements/s/endorsements.txt?lang=km")
    assert cover in text.get_data(as_text=True) and "Endorsed by" not in text.get_data(as_text=True)
    assert "Accept-Language" in text.headers["Vary"]
    markdown = client.get("/statements/s/endorsements.md").get_data(as_text=True)  # remembered
    assert cover in markdown and "1. Prey Lang Community" in markdown

    pdf = squash(pdf_text(client.get("/statements/s/endorsements.pdf").data))
    assert squash(cover.split("2")[0]) in pdf and str(today.year) in pdf
    assert "Endorsed" not in pdf and squash("Free the Press") in pdf

    english = client.get("/statements/s/endorsements.txt?lang=en").get_data(as_text=True)
    assert f"Endorsed by 2 organisations as of {today.day} {today:%B %Y} (1 of them" in english
    # Data keys stay English whatever the reader's language.
    csv_head = client.get("/statements/s/endorsements.csv?lang=km").data.decode("utf-8-sig").splitlines()[0]
    assert csv_head == "number,organisation,organisation_km,acronym,location,website"


def test_embed_widget_in_khmer(client, make_statement, make_endorsement):
    statement = make_statement(slug="s", title="Free the Press")
    make_endorsement(statement, status="approved", organisation="Prey Lang Community")
    html = client.get("/statements/s/embed?lang=km").get_data(as_text=True)
    assert_khmer_page(html, "Read the statement and endorse it")
    assert count_line(html) == khmer_count_line(1)
    assert (
        parse(html).find("a", href="http://jointly.test/statements/s?lang=km") is not None
    )  # opens in Khmer too
