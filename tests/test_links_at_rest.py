"""No stored row and no moderator page holds a working endorser link (issue 14.4): after a full
flow, every text column of every table and every page a moderator can reach is scanned for
signed tokens, and every confirm or withdraw link a moderator can see is tried."""

import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from domain.tokens import CONFIRM, MANAGE, TokenProblem, read_token
from extensions import db
from models import Endorsement
from tests.helpers import body_of, csrf_from, link_in, mail_settings, parse, post_button, sign, stored_texts

# itsdangerous' URL-safe timed tokens: payload.timestamp.signature.
TOKEN = re.compile(r"[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{16,}")
PERSONAL_PATH = re.compile(r"/(?:confirm|manage)/[^\s\"'<>?#]+")


@pytest.fixture
def app_config(smtp):
    return mail_settings(smtp)


def working_tokens(text: str) -> list[str]:
    """Every token in `text` that the app would accept for a confirm or withdraw page."""
    found = []
    for candidate in TOKEN.findall(text):
        for purpose in (CONFIRM, MANAGE):
            try:
                read_token(candidate, purpose)
            except TokenProblem:
                continue
            found.append(candidate)
    return found


def crawl_moderation(client) -> dict[str, str]:
    """Every page under /moderation a logged-in admin reaches by following links (GET only)."""
    pages, queue = {}, ["/moderation/"]
    while queue and len(pages) < 300:
        path = queue.pop(0)
        if path in pages:
            continue
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = response.get_data(as_text=True)
        if response.mimetype != "text/html":
            continue
        for link in parse(response).find_all("a", href=True):
            target = urlsplit(link["href"])
            url = target.path + (f"?{target.query}" if target.query else "")
            if not target.netloc and target.path.startswith("/moderation") and url not in pages:
                queue.append(url)
    return pages


def full_flow(client, smtp, make_moderator, auth) -> list[str]:
    """Sign-ons, a repeat, confirmations, an approval, a rejection, a correction and a
    withdrawal, with mail to endorsers and to a moderator who asked for it; returns the
    bodies of the mails as received."""
    make_moderator(email="admin@example.org", role="admin").notify_new_endorsements = True
    db.session.commit()
    for n, email in enumerate(["one@example.org", "two@example.org", "three@example.org"]):
        sign(client, organisation=f"Org {n}", email=email)
    sign(client, organisation="Org 0", email="one@example.org")  # a repeat: a fresh confirm link
    latest = {message["To"]: message for message in smtp.inbox.wait_for(4)}  # the repeat's link for one@
    for message in latest.values():
        path = link_in(body_of(message), "/confirm/")
        client.post(path, data={"csrf_token": csrf_from(client.get(path))})
    ids = dict(
        db.session.execute(sa.select(Endorsement.email, Endorsement.id).order_by(Endorsement.id)).all()
    )
    assert auth.login(email="admin@example.org").status_code == 302
    post_button(client, f"/moderation/endorsements/{ids['one@example.org']}/approve")
    post_button(client, f"/moderation/endorsements/{ids['three@example.org']}/approve")
    post_button(client, f"/moderation/endorsements/{ids['two@example.org']}/reject", reason="x", notify="y")
    assert len(smtp.inbox.wait_for(10)) == 10  # 4 to confirm, 3 to the moderator, 3 decisions
    one, three = (
        link_in(body_of(smtp.inbox.to(email)[0]), "/manage/").partition("?")[0]
        for email in ids
        if email != "two@example.org"
    )
    client.post(f"{one}/correct", data={"csrf_token": csrf_from(client.get(one)), "organisation": "Org Zero"})
    client.post(f"{three}/withdraw", data={"csrf_token": csrf_from(client.get(three))})
    messages = smtp.inbox.wait_for(13)  # a correction to review, a withdrawal told to both sides
    assert len(messages) == 13
    return [body_of(message) for message in messages]


def test_no_stored_row_and_no_moderator_page_holds_a_working_link(
    client, make_statement, smtp, make_moderator, auth
):
    make_statement(slug="s")
    received = full_flow(client, smtp, make_moderator, auth)
    # The scan can fail: the mails as received carry working links, one per personal link.
    assert len(working_tokens("\n".join(received))) >= 10

    leaks = [(where, token) for where, text in stored_texts() for token in working_tokens(text)]
    assert leaks == []
    pages = crawl_moderation(client)
    assert "/moderation/outbox" in pages and len(pages) > 10
    leaks = [(path, token) for path, page in pages.items() for token in working_tokens(page)]
    assert leaks == []


def test_a_moderator_cannot_act_as_an_endorser_from_what_they_see(
    client, make_statement, smtp, make_moderator, auth
):
    make_statement(slug="s")
    full_flow(client, smtp, make_moderator, auth)
    db.session.expire_all()
    before = dict(db.session.execute(sa.select(Endorsement.id, Endorsement.status)).all())
    seen = {path for page in crawl_moderation(client).values() for path in PERSONAL_PATH.findall(page)}
    assert any(path.startswith("/confirm/") for path in seen)  # the outbox shows where links go...
    for path in seen:  # ...and none of them works
        assert client.get(path).status_code == 400
        token = csrf_from(client.get("/moderation/"))
        for action in (path, f"{path}/withdraw", f"{path}/correct"):
            assert client.post(action, data={"csrf_token": token, "organisation": "Taken"}).status_code in (
                400,
                404,
                405,
            )
    db.session.expire_all()
    assert dict(db.session.execute(sa.select(Endorsement.id, Endorsement.status)).all()) == before
