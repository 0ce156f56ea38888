"""Khmer and English: a complete, compiled catalogue, and the reader's language chosen from the
browser, a cookie or a link, remembered, and cached apart. Pages, mail and moderation in Khmer
have modules of their own (test_i18n_pages, test_i18n_mail, test_i18n_moderation)."""

import re
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from extensions import db
from tests.helpers import ROOT, list_items, make_test_app, parse, sign
from tests.khmer import CATALOGUE, PREY_LANG_KM, as_tuple, catalogue, km, page_language

COMPILED = CATALOGUE.with_suffix(".mo")
KHMER_LETTER = re.compile(r"[\u1780-\u17ff]")


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


# ---------------------------------------------------------------- choosing the language


def test_accept_language_cookie_and_default(database_url, client, make_statement):
    make_statement(slug="s")
    khmer = client.get("/statements/s", headers={"Accept-Language": "km-KH,km;q=0.9,en;q=0.5"})
    assert page_language(khmer) == "km"
    assert "Accept-Language" in khmer.headers["Vary"]
    assert page_language(client.get("/statements/s", headers={"Accept-Language": "fr"})) == "en"

    client.set_cookie("lang", "en")  # an explicit choice beats the browser's
    assert page_language(client.get("/statements/s", headers={"Accept-Language": "km"})) == "en"

    khmer_by_default = make_test_app(database_url, DEFAULT_LANGUAGE="km")
    with khmer_by_default.app_context():
        other = khmer_by_default.test_client()
        assert page_language(other.get("/statements/s", headers={"Accept-Language": "fr, de;q=0.5"})) == "km"
        assert page_language(other.get("/statements/s", headers={"Accept-Language": "en"})) == "en"
        db.session.remove()
        db.engine.dispose()
    with pytest.raises(ValueError, match="DEFAULT_LANGUAGE"):
        make_test_app(database_url, DEFAULT_LANGUAGE="fr")


def test_language_switcher_remembers_the_choice_and_returns(client, make_statement):
    make_statement(slug="s")
    switch = parse(client.get("/statements/s?x=1")).find("a", href="/language/km?next=/statements/s?x%3D1")
    assert (switch["lang"], switch["hreflang"], switch.get_text()) == ("km", "km", "ខ្មែរ")
    response = client.get("/language/km?next=/statements/s?x%3D1")
    assert response.status_code == 303 and response.headers["Location"] == "/statements/s?x=1"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=km;") and "Max-Age=31536000" in cookie and "HttpOnly" in cookie
    assert page_language(client.get("/statements/s")) == "km"

    for unsafe in ("https://evil.example/", "//evil.example", "/\t/evil.example"):
        assert client.get("/language/en", query_string={"next": unsafe}).headers["Location"] == "/"
    assert client.get("/language/fr?next=/").status_code == 404


def test_a_lang_link_switches_and_is_remembered(client, make_statement):
    make_statement(slug="s")
    response = client.get("/statements/s?lang=km")
    assert page_language(response) == "km"
    assert response.headers["Set-Cookie"].startswith("lang=km;")
    assert page_language(client.get("/login")) == "km"


def test_switcher_on_a_post_result_points_to_a_page_that_exists(khmer_client, make_statement):
    make_statement(slug="s")
    page = parse(sign(khmer_client, organisation=""))  # the form again, at /statements/s/sign
    assert page.find("a", href="/language/en?next=/statements/s/sign") is not None


def test_each_language_has_its_own_cached_page_and_validator(client, make_statement, make_endorsement):
    statement = make_statement(slug="s")
    make_endorsement(
        statement, status="approved", organisation="Prey Lang Community", organisation_km=PREY_LANG_KM
    )
    english = client.get("/statements/s")
    khmer = client.get("/statements/s?lang=km")
    assert list_items(english) == [f"Prey Lang Community ({PREY_LANG_KM})"]
    assert list_items(khmer) == [f"{PREY_LANG_KM} (Prey Lang Community)"]
    assert english.headers["ETag"] != khmer.headers["ETag"]
    again = client.get("/statements/s?lang=en", headers={"If-None-Match": khmer.headers["ETag"]})
    assert again.status_code == 200 and page_language(again) == "en"
    assert list_items(again) == [f"Prey Lang Community ({PREY_LANG_KM})"]
