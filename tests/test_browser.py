"""End to end in Chromium against a real server: sign on, confirm by mail, moderate, publish;
on a phone-sized screen, in Khmer, printed, and checked with axe."""

import json
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from extensions import db
from models import NameCorrection
from tests.browsing import DESKTOP, MOBILE, MODERATOR, assert_fits, log_in
from tests.helpers import ROOT, VALID, link_in, wait_until

pytestmark = pytest.mark.browser

SHARED_TITLE = "Stop Reprisals Against CENTRAL Over Better Factories Report"
KHMER_NAME = "សហគមន៍ការពារធម្មជាតិ"
# The text fields of a complete sign-on (`fill_signon` ticks the authorisation box itself).
ENDORSER = {name: value for name, value in VALID.items() if name != "authorised"}


def seeded(statement) -> str:
    """The slug of a seeded statement; ends the test's transaction so the server sees a quiet DB."""
    db.session.commit()
    slug = statement.slug
    db.session.close()
    return slug


# ---------------------------------------------------------------- what a person does


def fill_signon(page: Page, **fields) -> None:
    for name, value in fields.items():
        page.locator(f'form[action$="/sign"] [name="{name}"]').fill(value)
    page.locator('[name="authorised"]').check()
    page.get_by_role("button", name="Endorse this statement").click()


def follow_the_jump_link(page: Page) -> None:
    """The "Sign this statement" link near the top, on the first screen even on a phone."""
    link = page.get_by_role("link", name="Sign this statement").first
    box = link.bounding_box()
    assert box and box["y"] + box["height"] <= page.viewport_size["height"], (
        f"the link is below the fold: {box}"
    )
    link.click()
    expect(page).to_have_url(re.compile(r"/sign$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Endorse this statement")


def submit_empty(page: Page) -> None:
    page.get_by_role("button", name="Endorse this statement").click()
    expect(page.locator("#error-summary")).to_be_visible()


def wait_for_mail(inbox, to: str, subject: str, timeout: float = 10):
    """The first mail to `to` whose subject contains `subject`, as it reaches the SMTP server."""

    def arrived():
        """the mail"""
        return next((message for message in inbox.to(to) if subject in message["Subject"]), None)

    def got():
        return f"none to {to} about {subject!r}, got {[(m['To'], m['Subject']) for m in inbox.messages]}"

    return wait_until(arrived, timeout, explain=got)


def confirm_by_mail(page: Page, inbox, live_server, email: str) -> None:
    message = wait_for_mail(inbox, email, "confirm")
    body = message.get_body(("plain",)).get_content()
    assert f"{live_server.base_url}/confirm/" in body, "the link must use BASE_URL"
    page.goto(link_in(body, "/confirm/"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, your endorsement is confirmed")


def approve(page: Page, display_name: str) -> None:
    page.goto("/moderation/")
    entry = page.locator("li.queue-item").filter(has=page.get_by_role("link", name=display_name, exact=True))
    expect(entry).to_have_count(1)
    entry.get_by_role("button", name="Approve").click()
    expect(page.locator(".flash-success")).to_have_text(f"Approved: {display_name}.")


def list_item(page: Page, number: int):
    return page.locator("ol.endorser-list li").nth(number - 1)


def endorse_and_publish(new_page, inbox, live_server, path: str, fields: dict, viewport: dict):
    """The whole journey; returns the endorser's page, back on the statement. Checks the layout
    fits the viewport on each page on the way."""
    page = new_page(viewport)
    page.goto(path)
    assert_fits(page, "the statement page")
    follow_the_jump_link(page)
    submit_empty(page)
    assert_fits(page, "the form with validation errors")
    fill_signon(page, **fields)
    expect(page).to_have_url(re.compile(r"/thanks$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert_fits(page, "the thanks page")
    confirm_by_mail(page, inbox, live_server, fields["email"])

    moderator = new_page(viewport)
    log_in(moderator)
    assert_fits(moderator, "the moderation queue")
    approve(moderator, display_name(fields))
    wait_for_mail(inbox, fields["email"], "is published")

    page.goto(path)
    return page


def display_name(fields: dict) -> str:
    return fields["organisation"] + "".join(
        f" ({fields[key]})" for key in ("acronym", "location") if fields.get(key)
    )


# ---------------------------------------------------------------- the journeys


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop-1280", "mobile-360"])
def test_signon_confirm_approve_and_see_it_listed_as_44th(
    new_page,
    inbox,
    live_server,
    shared_statement,
    make_moderator,
    viewport,
):
    make_moderator(email=MODERATOR)
    seeded(shared_statement)

    home = new_page(viewport)
    home.goto("/")
    expect(home.get_by_role("heading", level=1)).to_have_text(SHARED_TITLE)
    expect(home.locator("#endorsers-heading")).to_have_text("Endorsed by 43 organisations")
    expect(home.locator("ol.endorser-list li")).to_have_count(43)

    page = endorse_and_publish(new_page, inbox, live_server, "/", ENDORSER, viewport)

    expect(page.locator("#endorsers-heading")).to_have_text("Endorsed by 44 organisations")
    expect(page.locator("ol.endorser-list li")).to_have_count(44)
    expect(list_item(page, 44)).to_have_text("Mekong Fishers Network (MFN) (Kratie)")
    assert_fits(page, "the statement page with 44 endorsers")


def test_closed_statement_shows_no_form(new_page, make_statement):
    slug = seeded(make_statement(slug="closed", title="A closed statement", status="closed"))
    page = new_page()
    page.goto(f"/statements/{slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("A closed statement")
    expect(page.locator('form[action$="/sign"]')).to_have_count(0)
    expect(page.get_by_role("heading", name="Sign-on is closed")).to_be_visible()
    expect(page.get_by_role("link", name="Sign this statement")).to_have_count(0)


def platform_fonts(page: Page, selector: str) -> dict[str, int]:
    """Family -> glyph count that Chromium really used to draw the element's own text.

    Asked of the text nodes, not the element: a list item's number marker is drawn in
    a Latin font and would be counted with it."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"no {selector} on the page"
        children = cdp.send("DOM.describeNode", {"nodeId": node, "depth": 1})["node"].get("children", [])
        fonts: dict[str, int] = {}
        for child in children:
            if child["nodeType"] == 3 and child["nodeValue"].strip():
                used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": child["nodeId"]})["fonts"]
                for font in used:
                    fonts[font["familyName"]] = fonts.get(font["familyName"], 0) + font["glyphCount"]
    finally:
        cdp.detach()
    return fonts


def assert_drawn_in_khmer_font(page: Page, selector: str) -> None:
    fonts = platform_fonts(page, selector)
    khmer = sum(count for family, count in fonts.items() if "khmer" in family.lower())
    assert khmer > 0 and khmer == sum(fonts.values()), f"{selector} is not drawn in a Khmer font: {fonts}"


def test_khmer_organisation_is_published_and_drawn_in_a_khmer_font(
    new_page,
    inbox,
    live_server,
    make_statement,
    make_moderator,
    artifacts,
):
    make_moderator(email=MODERATOR)
    slug = seeded(
        make_statement(
            slug="prey-lang",
            title="Protect Prey Lang — ការពារព្រៃឡង់",
            body="We call for the protection of Prey Lang.\n\nយើងទាមទារឱ្យការពារព្រៃឡង់។",
        )
    )
    fields = {
        **ENDORSER,
        "organisation": KHMER_NAME,
        "acronym": "",
        "location": "",
        "email": "km@example.org",
    }

    page = endorse_and_publish(new_page, inbox, live_server, f"/statements/{slug}", fields, DESKTOP)

    expect(page.locator("ol.endorser-list li")).to_have_count(1)
    expect(list_item(page, 1)).to_have_text(KHMER_NAME)
    assert_drawn_in_khmer_font(page, "ol.endorser-list li")
    page.screenshot(path=artifacts / "khmer-statement-1280.png", full_page=True)


def test_khmer_translation_of_the_shared_statement_for_a_khmer_browser(
    browser, live_server, app, shared_statement, runner, artifacts
):
    """A browser that asks for Khmer gets the Khmer text, the Khmer interface and the one list of 43,
    shaped by HarfBuzz in a Khmer font (the screenshot is kept for people to look at)."""
    translation = ROOT / "tests" / "data" / "2024-06-27-stop-reprisals-against-central.km.md"
    options = ["--translation-of", shared_statement.slug, "--language", "km"]
    imported = runner.invoke(args=["statements", "import", str(translation), *options])
    assert imported.exit_code == 0, imported.output
    slug = seeded(shared_statement)
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.base_url, locale="km-KH")
    try:
        page = context.new_page()
        page.goto(f"/statements/{slug}")
        expect(page.locator("html")).to_have_attribute("lang", "km")
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^បញ្ឈប់ការសងសឹកលើអង្គការ CENTRAL"))
        expect(page.locator(".kicker")).to_have_text("សេចក្តីថ្លែងការណ៍រួម")
        expect(page.locator("#endorsers-heading")).to_have_text("គាំទ្រដោយអង្គការចំនួន 43")
        expect(page.locator("ol.endorser-list li")).to_have_count(43)
        expect(page.get_by_role("link", name="English", exact=True).first).to_be_visible()
        for selector in (".kicker", "#signon-heading"):
            assert_drawn_in_khmer_font(page, selector)
        # Shaped, not drawn letter by letter: each subscript consonant (coeng + consonant) is one glyph.
        kicker = page.locator(".kicker").inner_text()
        assert sum(platform_fonts(page, ".kicker").values()) < len(kicker.strip())
        assert_fits(page, "the Khmer statement page")
        page.screenshot(path=artifacts / "statement-km-1280.png", full_page=True)
        page.screenshot(path=artifacts / "statement-km-1280-top.png")
    finally:
        context.close()


# ---------------------------------------------------------------- pictures for people to look at


@pytest.fixture
def three_waiting(shared_statement, make_endorsement, make_moderator) -> str:
    """Three endorsements waiting in the queue, one with a Khmer name, one with a very long
    one; the statement's slug."""
    make_moderator(email=MODERATOR)
    for name, acronym, location in [
        ("Cambodian Centre for Human Rights", "CCHR", None),
        (KHMER_NAME, None, "Koh Kong"),
        ("Coalition of Cambodian Farmer Community Federation of Very Long Names", None, "Battambang"),
    ]:
        make_endorsement(
            shared_statement,
            organisation=name,
            acronym=acronym,
            location=location,
            email=f"{acronym or 'org'}@example.org".lower(),
        )
    return seeded(shared_statement)


def assert_pictures_kept(artifacts: Path, *names: str) -> None:
    for name in names:
        assert (artifacts / f"{name}.png").stat().st_size > 10_000, f"{name}.png looks empty"


def test_screenshots_of_the_statement_on_a_desktop_printed_and_on_a_phone(new_page, three_waiting, artifacts):
    desktop = new_page(DESKTOP)
    desktop.goto(f"/statements/{three_waiting}")
    desktop.screenshot(path=artifacts / "statement-1280.png", full_page=True)
    desktop.emulate_media(media="print")
    desktop.screenshot(path=artifacts / "statement-print.png", full_page=True)
    pdf = desktop.pdf(path=artifacts / "statement-print.pdf", format="A4")
    assert pdf.startswith(b"%PDF")

    mobile = new_page(MOBILE)
    mobile.goto(f"/statements/{three_waiting}")
    assert_fits(mobile, "the statement page")
    mobile.screenshot(path=artifacts / "statement-360.png", full_page=True)
    assert_pictures_kept(artifacts, "statement-1280", "statement-print", "statement-360")


def test_screenshots_of_the_queue_on_a_desktop_and_on_a_phone(new_page, three_waiting, artifacts):
    moderator = new_page(DESKTOP)
    log_in(moderator)
    expect(moderator.locator("li.queue-item")).to_have_count(3)
    moderator.screenshot(path=artifacts / "moderation-queue-1280.png", full_page=True)
    moderator.set_viewport_size(MOBILE)
    assert_fits(moderator, "the moderation queue with three entries")
    moderator.screenshot(path=artifacts / "moderation-queue-360.png", full_page=True)
    assert_pictures_kept(artifacts, "moderation-queue-1280")


# ---------------------------------------------------------------- accessibility

AXE = Axe()


def axe_problems(page: Page, what: str, artifacts: Path) -> list[str]:
    """Serious and critical axe violations and ARIA references to missing ids, one line each;
    every axe violation is kept in test-artifacts/axe-*.json for people to read."""
    broken = page.evaluate(
        """() => [...document.querySelectorAll('[aria-describedby], [aria-labelledby]')].flatMap(e =>
            ['aria-describedby', 'aria-labelledby'].flatMap(attribute =>
                (e.getAttribute(attribute) || '').split(/\\s+/)
                    .filter(id => id && !document.getElementById(id))
                    .map(id => `#${e.id || e.tagName.toLowerCase()} ${attribute}="${id}"`)))"""
    )
    problems = [f"{what}: points at no element: {reference}" for reference in broken]
    response = AXE.run(page).response
    violations = response["violations"]
    kept = {"violations": violations, "incomplete (needs a person)": response.get("incomplete", [])}
    name = re.sub(r"\W+", "-", what).strip("-")
    (artifacts / f"axe-{name}.json").write_text(json.dumps(kept, indent=2, ensure_ascii=False))
    return problems + [
        f"{what}: {v['id']} ({v['impact']}): {v['help']}; nodes: {[n['target'] for n in v['nodes']]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def assert_errors_tied_to_their_fields(page: Page, names: tuple[str, ...]) -> None:
    """The summary (an alert) links to each refused field; each field is marked invalid and
    described by its own message."""
    summary = page.locator("#error-summary")
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.get_by_role("link")).to_have_count(len(names))
    for name in names:
        field = page.locator(f'form[action$="/sign"] [name="{name}"]')
        expect(field).to_have_attribute("aria-invalid", "true")
        described_by = (field.get_attribute("aria-describedby") or "").split()
        assert f"{name}-error" in described_by, f"{name} is not described by its error: {described_by}"
        expect(page.locator(f"#{name}-error")).not_to_be_empty()
        expect(summary.locator(f'a[href="#{name}"]')).to_have_count(1)


def test_pages_pass_axe_and_errors_are_tied_to_their_fields(
    new_page,
    shared_statement,
    make_endorsement,
    make_moderator,
    artifacts,
):
    make_moderator(email=MODERATOR)
    make_endorsement(shared_statement, organisation="Pending Org", email="pending@example.org")
    slug = seeded(shared_statement)
    page = new_page()

    page.goto(f"/statements/{slug}")
    problems = axe_problems(page, "statement page", artifacts)

    follow_the_jump_link(page)
    problems += axe_problems(page, "sign-on form", artifacts)
    submit_empty(page)
    problems += axe_problems(page, "form with errors", artifacts)
    assert_errors_tied_to_their_fields(page, ("organisation", "contact_name", "email", "authorised"))

    fill_signon(page, **ENDORSER)
    expect(page).to_have_url(re.compile(r"/thanks$"))
    problems += axe_problems(page, "thanks page", artifacts)

    moderator = new_page()
    moderator.goto("/login")
    problems += axe_problems(moderator, "login page", artifacts)
    log_in(moderator)
    expect(moderator.locator("li.queue-item")).to_have_count(1)
    problems += axe_problems(moderator, "moderation queue", artifacts)
    assert not problems, "accessibility problems:\n" + "\n".join(problems)


def test_screenshots_of_the_top_of_the_page_the_form_and_a_correction_to_review(
    new_page, shared_statement, make_endorsement, make_moderator, artifacts
):
    """Issue 15: what a new user sees first on a phone, and what a moderator sees of a correction."""
    make_moderator(email=MODERATOR)
    endorsement = make_endorsement(shared_statement, status="approved", organisation="Prey Lang Community")
    db.session.add(
        NameCorrection(
            endorsement=endorsement,
            proposed={**endorsement.public_fields(), "organisation_km": KHMER_NAME, "location": "Kratie"},
            note="Please add our name in Khmer.",
        )
    )
    slug = seeded(shared_statement)

    phone = new_page(MOBILE)
    phone.goto(f"/statements/{slug}")
    phone.screenshot(path=artifacts / "statement-top-360.png")
    follow_the_jump_link(phone)
    phone.screenshot(path=artifacts / "signon-form-top-360.png")

    moderator = new_page(DESKTOP)
    log_in(moderator)
    moderator.get_by_role("link", name="1 name correction to decide").click()
    expect(moderator.locator("table.side-by-side tr.changed")).to_have_count(2)
    moderator.screenshot(path=artifacts / "correction-review-1280.png", full_page=True)
    moderator.set_viewport_size(MOBILE)
    assert_fits(moderator, "the correction to review")
    moderator.screenshot(path=artifacts / "correction-review-360.png", full_page=True)
