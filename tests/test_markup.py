"""Valid HTML on every page, checked by the W3C Nu Html Checker (vnu.jar, installed by
`make install-dev`), in English and in Khmer: each page is rendered through the test client and
the checker runs once over all of them (one Java start). Then what the checker cannot judge:
descriptions, absolute hreflang links, the embed's landmark, times a machine can read."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from domain.endorsements import add_note, approve, reject
from domain.tokens import make_token
from extensions import db
from models import BlockedEmailDomain, EndorsementStatus, NameCorrection, RejectionReason, Role
from tests.helpers import ROOT, AuthActions, hidden_fields, parse, sign
from views.errors import MESSAGES, render_error

VNU_JAR = Path(os.environ.get("VNU_JAR", ROOT / ".cache/vnu/node_modules/vnu-jar/build/dist/vnu.jar"))
TRANSLATION = ROOT / "tests" / "data" / "2024-06-27-stop-reprisals-against-central.km.md"


def nu_errors(pages: dict[str, str], folder: Path) -> list[str]:
    """Every error the Nu Html Checker finds in `pages` (name -> HTML), one line each."""
    if not VNU_JAR.exists():
        pytest.fail(f"the Nu Html Checker is missing at {VNU_JAR}: run `make install-dev`")
    if not shutil.which("java"):
        pytest.fail("Java is missing: run `make install-dev` (it installs default-jre-headless)")
    names = {}
    for index, (name, html) in enumerate(pages.items()):
        path = folder / f"{index:03d}.html"
        path.write_text(html, encoding="utf-8")
        names[path.name] = name
    command = ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--exit-zero-always"]
    checked = subprocess.run(
        [*command, *(str(folder / name) for name in sorted(names))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = []
    for message in json.loads(checked.stderr)["messages"]:
        page = names.get(message.get("url", "").rsplit("/", 1)[-1], message.get("url"))
        extract = " ".join(message.get("extract", "").split())
        errors.append(f"{page}, line {message.get('lastLine')}: {message['message']} [{extract}]")
    return errors


# ---------------------------------------------------------------- the pages, as each reader gets them


@pytest.fixture
def seeded(app, shared_statement, runner, make_statement, make_endorsement, make_moderator):
    """A statement in two languages, an entry in every queue, a note, a decision, mail, reasons."""
    options = ["--translation-of", shared_statement.slug, "--language", "km"]
    imported = runner.invoke(args=["statements", "import", str(TRANSLATION), *options])
    assert imported.exit_code == 0, imported.output
    make_statement(slug="second", title="A second statement")
    admin = make_moderator(email="admin@example.org", role=Role.ADMIN)
    pending = make_endorsement(shared_statement, organisation="Pending Org", organisation_km="សហគមន៍ព្រៃឡង់")
    make_endorsement(shared_statement, EndorsementStatus.SUSPECTED, organisation="Bot", suspicion="honeypot")
    decided = [
        make_endorsement(shared_statement, organisation=f"Org {n}", email=f"{n}@example.org") for n in (1, 2)
    ]
    add_note(pending, admin, "Called them: real.")
    db.session.add(NameCorrection(endorsement=pending, proposed={**pending.public_fields(), "acronym": "PO"}))
    approve(decided[0], admin)
    reject(decided[1], admin, "Not an organisation", tell_endorser=True)
    db.session.add_all(
        [RejectionReason(text="Not an organisation"), BlockedEmailDomain(domain="spam.example")]
    )
    # One to confirm in each language.
    unconfirmed = {
        language: make_endorsement(
            shared_statement, EndorsementStatus.UNCONFIRMED, organisation=f"New {language}"
        )
        for language in ("en", "km")
    }
    db.session.commit()
    return {
        "slug": shared_statement.slug,
        "statement": shared_statement,
        "pending": pending,
        "unconfirmed": unconfirmed,
    }


def public_pages(client, seeded, language: str) -> dict[str, str]:
    slug = seeded["slug"]
    form = client.get(f"/statements/{slug}/sign")
    pages = {
        "index": client.get("/"),
        "statement": client.get(f"/statements/{slug}"),
        "form": form,
        "form with errors": client.post(f"/statements/{slug}/sign", data=hidden_fields(form)),
        "login": client.get("/login"),
        "embed": client.get(f"/statements/{slug}/embed"),
        "not found": client.get("/no-such-page"),
        "method not allowed": client.get("/logout"),
    }
    signed = sign(client, slug=slug, email="new@example.org", organisation="New Org")
    pages["thanks"] = client.get(signed.headers["Location"])
    confirm = f"/confirm/{make_token(seeded['unconfirmed'][language].id, 'confirm')}"
    pages["confirm"] = client.get(confirm)
    manage = f"/manage/{make_token(seeded['pending'].id, 'manage')}"
    pages["manage"] = client.get(manage)
    pages["manage with errors"] = client.post(
        f"{manage}/correct", data={**hidden_fields(pages["manage"], "/correct"), "organisation": ""}
    )
    pages["withdraw confirmation"] = client.get(f"{manage}/withdraw")
    pages["unsubscribe"] = client.get(f"/unsubscribe/{make_token(seeded['pending'].id, 'unsubscribe')}")
    pages["privacy"] = client.get("/privacy")
    pages["confirmed"] = client.post(confirm, data=hidden_fields(pages["confirm"]))
    return {name: response.get_data(as_text=True) for name, response in pages.items()}


def moderation_pages(client, seeded) -> dict[str, str]:
    statement, pending = seeded["statement"], seeded["pending"]
    paths = {
        "queue": "/moderation/",
        "queue, unconfirmed": "/moderation/?show=unconfirmed",
        "queue, suspected": "/moderation/?show=suspected",
        "detail": f"/moderation/endorsements/{pending.id}",
        "endorsements, approved": "/moderation/endorsements",
        "endorsements, rejected": "/moderation/endorsements?status=rejected",
        "add": "/moderation/endorsements/new",
        "outbox": "/moderation/outbox",
        "settings": "/moderation/settings",
        "admin statements": "/moderation/admin/statements",
        "admin statement form": f"/moderation/admin/statements/{statement.id}/edit",
        "admin new statement": "/moderation/admin/statements/new",
        "admin versions": f"/moderation/admin/statements/{statement.id}/versions",
        "admin preview": f"/moderation/admin/statements/{statement.id}/preview",
        "admin reasons": "/moderation/admin/reasons",
        "admin block lists": "/moderation/admin/blocklist",
        "admin moderators": "/moderation/admin/moderators",
        "name corrections": "/moderation/corrections/",
        "admin import": "/moderation/admin/import/",
        "admin updates": "/moderation/admin/updates/",
        "admin new update": f"/moderation/admin/updates/new/{statement.id}",
    }
    pages = {}
    for name, path in paths.items():
        response = client.get(path)
        assert response.status_code == 200, f"{name}: {response.status_code}"
        pages[name] = response.get_data(as_text=True)
    form = client.post(
        "/moderation/admin/statements/new", data=hidden_fields(client.get(paths["admin new statement"]))
    )
    pages["admin statement form with errors"] = form.get_data(as_text=True)
    return pages


def error_pages(app, language: str) -> dict[str, str]:
    pages = {}
    for code in MESSAGES:
        with app.test_request_context(f"/?lang={language}"):
            app.preprocess_request()
            pages[f"error {code}"] = render_error(code)[0]
    return pages


@pytest.fixture
def every_page(app, seeded) -> dict[str, str]:
    """Every page the browser tests visit, and the rest of moderation, in English and Khmer."""
    pages = {}
    for language in ("en", "km"):
        reader, moderator = app.test_client(), app.test_client()
        for each in (reader, moderator):
            each.set_cookie("lang", language)
        AuthActions(moderator).login("admin@example.org")
        found = {
            **public_pages(reader, seeded, language),
            **moderation_pages(moderator, seeded),
            **error_pages(app, language),
        }
        pages.update({f"{name} [{language}]": html for name, html in found.items()})
    return pages


def test_every_page_passes_the_nu_html_checker(every_page, tmp_path):
    assert len(every_page) == 2 * (16 + 22 + len(MESSAGES))
    errors = nu_errors(every_page, tmp_path)
    assert not errors, f"{len(errors)} errors from the Nu Html Checker:\n" + "\n".join(errors)


def test_the_checker_finds_errors():
    """The check can fail: a page with a duplicate id and an undated <time> is refused."""
    html = (
        '<!doctype html><html lang="en"><title>t</title><p id="a"><time>soon</time></p><p id="a"></p></html>'
    )
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"nu-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    try:
        errors = nu_errors({"bad": html}, folder)
    finally:
        shutil.rmtree(folder)
    assert any("Duplicate ID" in error for error in errors), errors
    assert any("time" in error for error in errors), errors


def test_every_page_has_one_description_and_machine_readable_times(every_page):
    for name, html in every_page.items():
        page = parse(html)
        descriptions = page.find_all("meta", attrs={"name": "description"})
        assert len(descriptions) == 1 and descriptions[0]["content"].strip(), name
        assert page.title.get_text().strip(), name
        assert all(time.get("datetime") for time in page.find_all("time")), name


@pytest.mark.parametrize("language", ["en", "km"])
def test_every_language_version_names_all_of_them_by_absolute_address(client, seeded, language):
    client.set_cookie("lang", language)
    page = parse(client.get(f"/statements/{seeded['slug']}"))
    alternates = {link["hreflang"]: link["href"] for link in page.find_all("link", rel="alternate")}
    base = f"http://jointly.test/statements/{seeded['slug']}"
    assert alternates == {"en": f"{base}?lang=en", "km": f"{base}?lang=km"}


def test_a_statement_in_one_language_has_no_alternates(client, make_statement):
    make_statement(slug="s")
    assert parse(client.get("/statements/s")).find_all("link", rel="alternate") == []


@pytest.mark.parametrize("language", ["en", "km"])
def test_the_embed_has_a_landmark_a_heading_a_title_and_an_icon(client, make_statement, language):
    make_statement(slug="s", title="Free the Press")
    page = parse(client.get(f"/statements/s/embed?lang={language}"))
    assert page.find("main") is not None
    assert page.find("h1").get_text() == "Free the Press"
    assert page.title.get_text() == "Free the Press · Jointly"
    assert page.find("link", rel="icon")["href"].startswith("/static/favicon.svg")  # ?v=: its content hash


def test_the_error_summary_has_no_full_stop_before_its_colon(client, make_statement):
    make_statement(slug="s")
    page = client.post("/statements/s/sign", data=hidden_fields(client.get("/statements/s/sign")))
    summary = " ".join(parse(page).find(id="error-summary").get_text(" ").split())
    assert "on behalf of this organisation: Please confirm that you may sign" in summary
    assert ".:" not in summary


def test_the_detail_page_names_each_button_once(moderator_client, make_statement, make_endorsement):
    endorsement = make_endorsement(make_statement(slug="s"))
    page = parse(moderator_client.get(f"/moderation/endorsements/{endorsement.id}"))
    ids = [element["id"] for element in page.find_all(id=True)]
    assert len(ids) == len(set(ids))
    assert [field.get("id") for field in page.find_all("input", attrs={"name": "csrf_token"})] == [None] * 5


@pytest.mark.parametrize(("language", "summary"), [("en", "Menu: Suspected"), ("km", "ម៉ឺនុយ៖ គួរឱ្យសង្ស័យ")])
def test_the_moderation_menu_names_this_page(moderator_client, language, summary):
    moderator_client.set_cookie("lang", language)
    nav = parse(moderator_client.get("/moderation/?show=suspected")).find("nav", class_="mod-nav")
    assert " ".join(nav.summary.get_text().split()) == summary
    assert [a.get_text() for a in nav.find_all("a", attrs={"aria-current": "page"})] == [summary.split()[-1]]
