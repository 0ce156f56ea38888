"""Khmer and English from end to end: a complete catalogue, every public page and mail in the
reader's language, statements in several languages sharing one list, names in two scripts,
and mail in the language the endorser signed in."""

import re
import subprocess
import sys
from functools import cache
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.dates import format_date, format_datetime
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from markupsafe import escape

from domain.notifications import (
    notify_endorser_of_repeat_signon,
    notify_endorser_that_endorsement_is_published,
    notify_endorser_that_endorsement_is_rejected,
    notify_endorser_that_endorsement_is_withdrawn,
    notify_endorser_to_confirm,
    notify_moderators_of_new_endorsement,
)
from domain.spam import HONEYPOT
from domain.tokens import make_token
from extensions import db
from models import Endorsement, OutboxMail, StatementTranslation, now_utc
from tests.helpers import (
    ROOT,
    VALID,
    csrf_from,
    events,
    link_in,
    list_items,
    make_test_app,
    outbox_mails,
    pdf_text,
    sign,
    squash,
)
from tests.smtp import SmtpServer

CATALOGUE = ROOT / "translations" / "km" / "LC_MESSAGES" / "messages.po"
COMPILED = CATALOGUE.with_suffix(".mo")
KM_STATEMENT = ROOT / "tests" / "data" / "2024-06-27-stop-reprisals-against-central.km.md"
SLUG = "stop-reprisals-against-central"
KM_TITLE = "បញ្ឈប់ការសងសឹកលើអង្គការ CENTRAL ជុំវិញរបាយការណ៍ស្តីពីកម្មវិធី Better Factories"
EN_TITLE = "Stop Reprisals Against CENTRAL Over Better Factories Report"
KHMER_LETTER = re.compile(r"[\u1780-\u17ff]")
HTML_LANG = re.compile(r'<html lang="([\w-]+)">')
PREY_LANG_KM = "សហគមន៍បណ្តាញព្រៃឡង់"


@cache
def catalogue():
    with CATALOGUE.open("rb") as file:
        return read_po(file, locale="km")


def km(msgid: str, **values) -> str:
    """The Khmer of an English message, straight from the catalogue (not from the app)."""
    message = catalogue()[msgid]  # a plural message is found by its singular
    text = message.string[0] if isinstance(message.string, tuple) else message.string
    return text % values if values else text


def as_tuple(value) -> tuple:
    """A message's id or strings, whether singular (str) or plural (tuple or list)."""
    return (value,) if isinstance(value, str) else tuple(value)


def page_language(html: str) -> str:
    return HTML_LANG.search(html).group(1)


def assert_khmer_page(html: str, *msgids: str) -> None:
    """<html lang="km">, each message in its Khmer form, and not in its English one."""
    assert page_language(html) == "km"
    for msgid in msgids:
        assert str(escape(km(msgid))) in html, f"no Khmer for {msgid!r}"
        assert str(escape(msgid)) not in html, f"{msgid!r} is still in English"


# ---------------------------------------------------------------- the catalogue


def extracted_messages(tmp_path):
    """What `make translations` extracts, run the same way, into a temporary template."""
    pot = tmp_path / "messages.pot"
    pybabel = str(Path(sys.executable).parent / "pybabel")
    subprocess.run(
        [pybabel, "--quiet", "extract", "-F", "babel.cfg", "-k", "_l", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as file:
        return [message for message in read_po(file) if message.id]


def test_every_extracted_string_has_a_khmer_translation(tmp_path):
    messages = extracted_messages(tmp_path)
    assert len(messages) > 100  # the extraction really ran over views, forms, templates and mails
    ids = {as_tuple(m.id)[0] for m in messages}
    # a template, a form, an error page, a mail
    for expected in (
        "Endorse this statement",
        "Name in Khmer script",
        "Page not found",
        "Dear Sir or Madam,",
    ):
        assert expected in ids

    problems = []
    for message in messages:
        translated = catalogue().get(message.id, context=message.context)
        strings = as_tuple(translated.string) if translated else ()
        tags = sorted(re.findall(r"<[^>]+>", as_tuple(message.id)[0]))
        if not strings or not all(s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
        elif translated.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not all(KHMER_LETTER.search(s) for s in strings):
            problems.append(f"not in Khmer: {message.id!r} -> {strings!r}")
        elif any(sorted(re.findall(r"<[^>]+>", s)) != tags for s in strings):
            problems.append(f"markup differs: {message.id!r}")
    problems += [f"{message.id!r}: {error}" for message, errors in catalogue().check() for error in errors]
    assert not problems, "\n".join(problems)


def test_the_catalogue_compiles_and_the_compiled_one_is_current():
    buffer = BytesIO()
    write_mo(buffer, catalogue())
    buffer.seek(0)
    compiled = read_mo(buffer)
    assert compiled["Endorse this statement"].string == km("Endorse this statement")
    assert COMPILED.exists(), "translations are not compiled: run `make compile-translations`"
    with COMPILED.open("rb") as file:
        on_disk = {as_tuple(m.id): as_tuple(m.string) for m in read_mo(file) if m.id}
    wanted = {as_tuple(m.id): as_tuple(m.string) for m in catalogue() if m.id and not m.fuzzy}
    assert on_disk == wanted, "translations/km/.../messages.mo is stale: run `make compile-translations`"


# ---------------------------------------------------------------- pages in Khmer


@pytest.fixture
def khmer_client(client):
    client.set_cookie("lang", "km")
    return client


def test_statement_page_in_khmer(khmer_client, shared_statement):
    html = khmer_client.get("/").get_data(as_text=True)
    assert_khmer_page(html, "Endorse this statement", "Sign this statement", "Language")
    form = khmer_client.get(f"/statements/{shared_statement.slug}/sign").get_data(as_text=True)
    assert_khmer_page(form, "Endorse this statement", "Your organisation", "Name in Khmer script", "Language")
    assert km("Endorsed by <strong>%(count)s</strong> organisation", count=43) in html
    assert "27 មិថុនា 2024" in html  # the date in the reader's language
    assert len(list_items(html)) == 43
    # No Khmer text yet: the English one, marked as such, with a notice in Khmer.
    notice = km(
        "This statement is not available in %(wanted)s; showing the %(shown)s version.",
        wanted="ខ្មែរ",
        shown="អង់គ្លេស",
    )
    assert notice in html and '<article class="statement" lang="en">' in html


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
    assert str(escape(km(message, max=200, length=201))) in html
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
    assert f'<span class="badge">{km("closed")}</span>' in index


def test_every_mail_to_a_khmer_endorser_is_in_khmer(app, make_statement, make_endorsement):
    statement = make_statement(slug="s", title="Free the Press")
    db.session.add(StatementTranslation(statement=statement, language="km", title="សេរីភាពសារព័ត៌មាន"))
    endorsement = make_endorsement(
        statement, organisation="Prey Lang Community", organisation_km=PREY_LANG_KM, language="km"
    )
    endorsement.rejection_reason = "Duplicate"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):  # an English request
        for notify in (
            notify_endorser_to_confirm,
            notify_endorser_of_repeat_signon,
            notify_endorser_that_endorsement_is_published,
            notify_endorser_that_endorsement_is_rejected,
            notify_endorser_that_endorsement_is_withdrawn,
        ):
            notify(endorsement)
        db.session.commit()
    mails = outbox_mails(to=endorsement.email)
    assert len(mails) == 5
    for mail in mails:
        assert "«សេរីភាពសារព័ត៌មាន»" in mail.subject, mail.kind
        assert km("Dear Sir or Madam,") in mail.body
        assert f"{PREY_LANG_KM} (Prey Lang Community)" in mail.body
        assert "?lang=km" in mail.body  # their links open in Khmer too
        english = re.sub(r"https?://\S+|Prey Lang Community|Sok Dara|Jointly|Duplicate", "", mail.body)
        assert not re.search(r"[A-Za-z]{4,}", english), f"English left in {mail.kind}: {english}"


# ---------------------------------------------------------------- choosing the language


def test_accept_language_cookie_and_default(database_url, client, make_statement):
    make_statement(slug="s")
    khmer = client.get("/statements/s", headers={"Accept-Language": "km-KH,km;q=0.9,en;q=0.5"})
    assert page_language(khmer.get_data(as_text=True)) == "km"
    assert "Accept-Language" in khmer.headers["Vary"]
    assert (
        page_language(client.get("/statements/s", headers={"Accept-Language": "fr"}).get_data(as_text=True))
        == "en"
    )

    client.set_cookie("lang", "en")  # an explicit choice beats the browser's
    assert (
        page_language(client.get("/statements/s", headers={"Accept-Language": "km"}).get_data(as_text=True))
        == "en"
    )

    khmer_by_default = make_test_app(database_url, DEFAULT_LANGUAGE="km")
    with khmer_by_default.app_context():
        other = khmer_by_default.test_client()
        html = other.get("/statements/s", headers={"Accept-Language": "fr, de;q=0.5"}).get_data(as_text=True)
        assert page_language(html) == "km"
        assert (
            page_language(
                other.get("/statements/s", headers={"Accept-Language": "en"}).get_data(as_text=True)
            )
            == "en"
        )
        db.session.remove()
        db.engine.dispose()
    with pytest.raises(ValueError, match="DEFAULT_LANGUAGE"):
        make_test_app(database_url, DEFAULT_LANGUAGE="fr")


def test_language_switcher_remembers_the_choice_and_returns(client, make_statement):
    make_statement(slug="s")
    html = client.get("/statements/s?x=1").get_data(as_text=True)
    assert (
        'href="/language/km?next=/statements/s?x%3D1"' in html and 'lang="km" hreflang="km">ខ្មែរ</a>' in html
    )
    response = client.get("/language/km?next=/statements/s?x%3D1")
    assert response.status_code == 303 and response.headers["Location"] == "/statements/s?x=1"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=km;") and "Max-Age=31536000" in cookie and "HttpOnly" in cookie
    assert page_language(client.get("/statements/s").get_data(as_text=True)) == "km"

    for unsafe in ("https://evil.example/", "//evil.example", "/\t/evil.example"):
        assert client.get("/language/en", query_string={"next": unsafe}).headers["Location"] == "/"
    assert client.get("/language/fr?next=/").status_code == 404


def test_a_lang_link_switches_and_is_remembered(client, make_statement):
    make_statement(slug="s")
    response = client.get("/statements/s?lang=km")
    assert page_language(response.get_data(as_text=True)) == "km"
    assert response.headers["Set-Cookie"].startswith("lang=km;")
    assert page_language(client.get("/login").get_data(as_text=True)) == "km"


def test_switcher_on_a_post_result_points_to_a_page_that_exists(khmer_client, make_statement):
    make_statement(slug="s")
    html = sign(khmer_client, organisation="").get_data(as_text=True)  # the form again, at /statements/s/sign
    assert 'href="/language/en?next=/statements/s/sign"' in html


def test_each_language_has_its_own_cached_page_and_validator(client, make_statement, make_endorsement):
    statement = make_statement(slug="s")
    make_endorsement(
        statement, status="approved", organisation="Prey Lang Community", organisation_km=PREY_LANG_KM
    )
    english = client.get("/statements/s")
    khmer = client.get("/statements/s?lang=km")
    assert list_items(english.get_data(as_text=True)) == [f"Prey Lang Community ({PREY_LANG_KM})"]
    assert list_items(khmer.get_data(as_text=True)) == [f"{PREY_LANG_KM} (Prey Lang Community)"]
    assert english.headers["ETag"] != khmer.headers["ETag"]
    again = client.get("/statements/s?lang=en", headers={"If-None-Match": khmer.headers["ETag"]})
    assert again.status_code == 200 and page_language(again.get_data(as_text=True)) == "en"
    assert list_items(again.get_data(as_text=True)) == [f"Prey Lang Community ({PREY_LANG_KM})"]


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
    assert page_language(english) == "en" and f"<h1>{EN_TITLE}</h1>" in english
    assert page_language(khmer) == "km" and f"<h1>{KM_TITLE}</h1>" in khmer
    assert "សេចក្តីសម្រេចរបស់ក្រសួងមហាផ្ទៃ" in khmer and "The Interior Ministry" not in khmer
    assert "សេចក្តីថ្លែងការណ៍រួម</p>" in khmer  # the kicker
    # Each links to the other; neither falls back.
    assert f'href="/statements/{SLUG}?lang=km" hreflang="km" lang="km">ខ្មែរ</a>' in english
    assert f'href="/statements/{SLUG}?lang=en" hreflang="en" lang="en">English</a>' in khmer
    assert 'class="notice language-notice"' not in english + khmer
    # One list, the same in both.
    assert len(list_items(english)) == 43 and list_items(english) == list_items(khmer)
    assert "Endorsed by <strong>43</strong> organisations" in english
    assert km("Endorsed by <strong>%(count)s</strong> organisation", count=43) in khmer


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
    page = client.get(path).get_data(as_text=True)
    assert 'name="organisation_km"' in page and 'value="សហគមន៍ព្រៃ"' in page  # as it stands now

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
    assert 'name="organisation_km"' in moderator_client.get(page).get_data(as_text=True)

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
    assert f'<dd lang="km">{PREY_LANG_KM}</dd>' in detail  # the moderator sees it beside the contact data
    assert f"organisation_km: {PREY_LANG_KM}" in detail  # and in the history, readable


# ---------------------------------------------------------------- moderation in Khmer


@pytest.fixture
def khmer_moderator(moderator_client):
    moderator_client.set_cookie("lang", "km")
    return moderator_client


def test_moderation_queue_in_khmer(khmer_moderator, make_statement, make_endorsement):
    statement = make_statement(slug="s")
    endorsement = make_endorsement(
        statement, organisation="Prey Lang Community", organisation_km=PREY_LANG_KM
    )
    make_endorsement(statement, status="suspected", organisation="Bot Org", suspicion=HONEYPOT)
    html = khmer_moderator.get("/moderation/").get_data(as_text=True)
    assert_khmer_page(
        html,
        "Pending endorsements",
        "Pending queue",
        "Outbox",
        "With the selected entries:",
        "Approve",
        "Name, acronym, contact or email",
        "Name in Khmer script",
        "Authorised to sign",
    )
    assert f'<dd lang="km">{PREY_LANG_KM}</dd>' in html
    submitted = format_datetime(endorsement.submitted_at, "d MMM y, HH:mm z", locale="km")
    assert f"{submitted}</time> · {km('signed on the website')}" in html  # the month in Khmer

    db.session.add(
        OutboxMail(
            kind="confirm_endorsement",
            recipient="gone@example.org",
            subject="Please confirm",
            body="…",
            status="failed",
            attempts=7,
            last_error="550 no such mailbox",
        )
    )
    db.session.commit()
    warning = km(
        '<a href="%(url)s">%(count)s mail could not be delivered</a>: see the outbox for the SMTP error.',
        url="/moderation/outbox",
        count=1,
    )
    assert warning in khmer_moderator.get("/moderation/").get_data(as_text=True)
    outbox = khmer_moderator.get("/moderation/outbox").get_data(as_text=True)
    assert_khmer_page(outbox, "Every mail Jointly sends is kept here.", "Send all waiting mail now")
    assert km("%(num)d failed attempt", num=7) in outbox and km("failed") in outbox
    assert km("SMTP error: %(error)s", error="550 no such mailbox") in outbox

    suspected = khmer_moderator.get("/moderation/?show=suspected").get_data(as_text=True)
    assert_khmer_page(suspected, "Suspected endorsements")
    assert km("Suspected: %(reason)s", reason=km("the hidden field (honeypot) was filled in")) in suspected


def test_endorsement_detail_and_flash_messages_in_khmer(khmer_moderator, make_statement, make_endorsement):
    statement = make_statement(slug="s")
    endorsement = make_endorsement(statement, organisation="Prey Lang Community")
    page = f"/moderation/endorsements/{endorsement.id}"
    html = khmer_moderator.get(page).get_data(as_text=True)
    assert_khmer_page(
        html, "Public display", "Private notes", "History", "No decisions yet.", "Save display name"
    )
    assert f'<strong class="status status-pending">{km("pending")}</strong>' in html
    assert km("language: %(language)s", language="អង់គ្លេស") in html

    def press(action):
        token = csrf_from(khmer_moderator.get(page))
        response = khmer_moderator.post(f"{page}/{action}", data={"csrf_token": token, "next_url": page})
        return khmer_moderator.get(response.headers["Location"]).get_data(as_text=True)

    approved = press("approve")
    assert_khmer_page(approved, "History")
    assert km("Approved: %(name)s.", name="Prey Lang Community") in approved
    assert f"· {km('approved')}" in approved  # the event, named in Khmer
    again = press("approve")
    refusal = km(
        "Only a pending endorsement can be approved (this one is %(status)s).", status=km("approved")
    )
    assert refusal in again and "Only a pending endorsement" not in again


def test_admin_pages_and_form_errors_in_khmer(client, make_moderator, auth, make_statement):
    make_moderator(email="admin@example.org", role="admin")
    assert auth.login(email="admin@example.org").status_code == 302
    client.set_cookie("lang", "km")
    make_statement(slug="s", title="Free the Press")
    html = client.get("/moderation/admin/statements").get_data(as_text=True)
    assert_khmer_page(html, "Statements", "New statement", "Download all endorsements with contacts (CSV)")
    assert f"<td>{km('open')}</td>" in html and "Free the Press" in html  # statement text untouched

    token = csrf_from(client.get("/moderation/admin/statements/new"))
    fields = {"slug": "Not A Slug!", "title": "T", "body": "B", "status": "draft", "list_order": "published"}
    response = client.post(
        "/moderation/admin/statements/new", data={**fields, "published_on": "someday", "csrf_token": token}
    )
    assert response.status_code == 422
    assert_khmer_page(
        response.get_data(as_text=True),
        "Please correct the following",
        "Please use lower-case letters, digits and hyphens only.",
        "Please give a valid date.",  # WTForms' own message, which has no Khmer catalogue
    )


def test_login_prompt_in_khmer(khmer_client):
    response = khmer_client.get("/moderation/")
    assert response.status_code == 302
    assert_khmer_page(
        khmer_client.get(response.headers["Location"]).get_data(as_text=True),
        "Please log in to see this page.",
    )


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
    assert km("Endorsed by <strong>%(count)s</strong> organisation", count=1) in html
    assert 'href="http://jointly.test/statements/s?lang=km"' in html  # opens in Khmer too


# ---------------------------------------------------------------- mail in the endorser's language


class TestMailInTheEndorsersLanguage:
    """Through a real SMTP server: signed in Khmer, confirmed and approved by English requests."""

    @pytest.fixture
    def smtp(self):
        server = SmtpServer().start()
        yield server
        server.stop()

    @pytest.fixture
    def app_config(self, smtp):
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "MAIL_SUPPRESS_SEND": False}

    def test_confirmation_and_approval_mails_are_in_khmer(
        self, app, smtp, make_statement, make_moderator, moderator_client
    ):
        statement = make_statement(slug="s", title="Free the Press")
        db.session.add(StatementTranslation(statement=statement, language="km", title="សេរីភាពសារព័ត៌មាន"))
        db.session.commit()
        watcher = make_moderator(email="watcher@example.org")
        watcher.notify_new_endorsements = True
        db.session.commit()

        # The moderator's browser (the app context is shared by test clients, so one client
        # plays both people; the cookie is what tells them apart here).
        moderator_client.set_cookie("lang", "km")
        assert sign(moderator_client, organisation_km=PREY_LANG_KM).status_code == 303
        endorsement = db.session.scalar(sa.select(Endorsement))
        assert endorsement.language == "km"

        (confirmation,) = smtp.inbox.wait_for(1)
        assert confirmation["Subject"] == km(
            'Please confirm your endorsement of "%(title)s"', title="សេរីភាពសារព័ត៌មាន"
        )
        body = confirmation.get_body(("plain",)).get_content()
        assert km("Dear Sir or Madam,") in body
        assert f"{PREY_LANG_KM} (Mekong Fishers Network) (MFN) (Kratie)" in body
        press = (
            "Please confirm that this email address belongs to you. "
            'Open this link and press the "Confirm" button:'
        )
        assert km(press) in body and press not in body

        # Opened in an English browser: the link itself asks for Khmer.
        moderator_client.set_cookie("lang", "en")
        path = link_in(body, "/confirm/")
        page = moderator_client.get(path)
        assert page_language(page.get_data(as_text=True)) == "km"
        moderator_client.post(path, data={"csrf_token": csrf_from(page)})
        moderator_client.set_cookie("lang", "en")

        moderator_notice = smtp.inbox.wait_for(2)[1]
        assert moderator_notice["To"] == "watcher@example.org"
        assert moderator_notice["Subject"].startswith("New endorsement to review: “Mekong Fishers Network")

        approval = moderator_client.post(
            f"/moderation/endorsements/{endorsement.id}/approve",
            data={"csrf_token": csrf_from(moderator_client.get("/moderation/"))},
            headers={"Accept-Language": "en"},
        )
        assert approval.status_code in (302, 303)
        smtp.inbox.wait_for(3)
        published = smtp.inbox.to(VALID["email"])[-1]
        assert published["Subject"] == km(
            'Your endorsement of "%(title)s" is published', title="សេរីភាពសារព័ត៌មាន"
        )
        body = published.get_body(("plain",)).get_content()
        assert km("It now appears in the public list of endorsers:") in body
        assert "http://jointly.test/statements/s?lang=km" in body
        assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 3


def test_moderators_get_their_mail_in_the_default_language(
    app, make_statement, make_endorsement, make_moderator
):
    statement = make_statement(slug="s")
    watcher = make_moderator(email="watcher@example.org")
    watcher.notify_new_endorsements = True
    endorsement = make_endorsement(statement, organisation="Org", language="km")
    with app.test_request_context("/", headers={"Accept-Language": "km"}):  # a Khmer endorser's request
        notify_moderators_of_new_endorsement(endorsement)
        db.session.commit()
    (mail,) = outbox_mails("moderator_new_endorsement")
    assert mail.subject == "New endorsement to review: “Org”" and "Review it here" in mail.body
