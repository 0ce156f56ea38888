"""Screens people look at, in Chromium against a real server: the moderation navigation that
leaves a phone's first screen to the queue, the top of the statement page on a phone, and the
page that asks before withdrawing. Screenshots are kept in test-artifacts/ for people to look at."""

import re

import pytest
from playwright.sync_api import expect

from domain.tokens import make_token
from extensions import db
from models import Role
from tests.browsing import DESKTOP, MOBILE, MODERATOR, assert_fits, log_in
from tests.live_server import SECRET_KEY

pytestmark = pytest.mark.browser
LINKS = ["Pending queue", "Unconfirmed", "Suspected", "Approved", "Outbox", "Statements", "Moderators"]


@pytest.fixture
def queue_of_three(shared_statement, make_endorsement, make_moderator):
    make_moderator(email=MODERATOR, role=Role.ADMIN)
    for number in range(3):
        make_endorsement(
            shared_statement, organisation=f"Waiting Org {number}", email=f"{number}@example.org"
        )
    db.session.commit()
    db.session.close()


def test_the_moderation_navigation_leaves_a_phone_screen_to_the_queue(new_page, queue_of_three, artifacts):
    page = new_page(MOBILE)
    log_in(page)
    page.screenshot(path=artifacts / "moderation-queue-360-top.png")
    nav = page.get_by_role("navigation", name="Moderation")
    assert nav.bounding_box()["height"] <= 48, "the navigation takes more than one row"
    menu = nav.locator("summary")
    expect(menu).to_have_text("Menu: Pending queue")
    heading = page.get_by_role("heading", level=1).bounding_box()
    assert heading["y"] + heading["height"] < MOBILE["height"] / 3, (
        "the queue starts below a third of the screen"
    )
    assert_fits(page, "the moderation queue on a phone")

    for name in LINKS:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_hidden()
    menu.click()
    for name in LINKS:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Pending queue")).to_have_attribute("aria-current", "page")
    assert_fits(page, "the moderation navigation opened on a phone")
    page.screenshot(path=artifacts / "moderation-nav-360-open.png")
    nav.get_by_role("link", name="Outbox").click()
    expect(page).to_have_url(re.compile(r"/moderation/outbox$"))


def test_every_link_is_in_view_on_a_wide_screen(new_page, queue_of_three, artifacts):
    page = new_page(DESKTOP)
    log_in(page)
    page.screenshot(path=artifacts / "moderation-queue-1280-top.png")
    nav = page.get_by_role("navigation", name="Moderation")
    expect(nav.locator("summary")).to_be_hidden()
    for name in LINKS:  # no menu to open first
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    assert nav.bounding_box()["height"] <= 80, "more than two rows of links"
    nav.get_by_role("link", name="Reasons").click()
    expect(page).to_have_url(re.compile(r"/moderation/admin/reasons$"))


def test_the_statement_top_on_a_phone(new_page, shared_statement, artifacts):
    slug = shared_statement.slug
    db.session.commit()
    db.session.close()
    page = new_page(MOBILE)
    page.goto(f"/statements/{slug}")
    expect(page.get_by_role("link", name="Sign this statement").first).to_be_in_viewport()
    page.screenshot(path=artifacts / "statement-360-top.png")
    downloads = page.locator("p.downloads")
    expect(downloads.get_by_role("link")).to_have_count(5)
    downloads.scroll_into_view_if_needed()
    assert_fits(page, "the statement page with its downloads")
    page.screenshot(path=artifacts / "statement-360-downloads.png")


def test_withdrawing_asks_first(app, new_page, make_statement, make_endorsement, artifacts, monkeypatch):
    statement = make_statement(slug="s", title="Free the Press")
    endorsement = make_endorsement(statement, status="approved", organisation="Leaving Org")
    db.session.commit()
    monkeypatch.setitem(app.config, "SECRET_KEY", SECRET_KEY)  # the live server's key
    path = f"/manage/{make_token(endorsement.id, 'manage')}"
    db.session.close()

    page = new_page(MOBILE)
    page.goto(path)
    page.get_by_role("link", name="Withdraw").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw your endorsement?")
    assert_fits(page, "the withdraw confirmation")
    page.screenshot(path=artifacts / "withdraw-confirmation-360.png", full_page=True)
    page.get_by_role("link", name="No, keep it").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))

    page.get_by_role("link", name="Withdraw").click()
    page.get_by_role("button", name="Yes, withdraw it").click()
    expect(page.locator(".flash-success")).to_contain_text("Your endorsement is withdrawn")
    page.goto("/statements/s")
    expect(page.locator("ol.endorser-list li")).to_have_count(0)
