"""Abuse, hardening and privacy: headers, cookies, limits, spam traps, roles, retention."""

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from extensions import db, limiter
from models import BlockedEmailDomain, BlockedNetwork, Endorsement, OutboxMail, Statement
from tests.helpers import PASSWORD, AuthActions, csrf_from, parse, sign, text_of

ADMIN_GETS = ["/moderation/admin/blocklist", "/moderation/admin/moderators"]
ADMIN_POSTS = [
    "/moderation/admin/blocklist/domains",
    "/moderation/admin/blocklist/networks",
    "/moderation/admin/blocklist/domains/1/remove",
    "/moderation/admin/moderators",
    "/moderation/admin/moderators/1/toggle",
]
MODERATION_GETS = [
    "/moderation/",
    "/moderation/?show=suspected",
    "/moderation/endorsements",
    "/moderation/endorsements/1",
    "/moderation/outbox",
    "/moderation/settings",
]


def statuses() -> list[str]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Endorsement.status).order_by(Endorsement.id)).all()


def test_every_security_header_is_present(client, statement):
    for url in ["/", "/statements/s", "/login", "/statements/nope", "/statements/s/endorsements.csv"]:
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"


def test_no_inline_script_in_pages(client, statement, moderator_client):
    for url in ["/statements/s", "/moderation/", "/login"]:
        scripts = parse(client.get(url)).find_all("script")
        assert all(script.get("src") and not script.get_text().strip() for script in scripts), url
        assert any(
            re.fullmatch(r"/static/[\w.-]+\.js\?v=[0-9a-f]{12}", script["src"]) and script.has_attr("defer")
            for script in scripts
        ), url


def test_session_cookie_flags(client, make_moderator, auth):
    make_moderator()
    response = auth.login()
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over plain http here
    assert "Expires=" not in cookie  # a browser session; the server ends it after MODERATOR_SESSION_HOURS


def test_cookies_are_secure_behind_https(database_url, make_moderator):
    from tests.conftest import make_test_app

    make_moderator()
    app = make_test_app(database_url, BASE_URL="https://jointly.example")
    with app.app_context():
        client = app.test_client()
        page = client.get("/login", base_url="https://jointly.example")
        response = client.post(
            "/login",
            base_url="https://jointly.example",
            headers={"Referer": "https://jointly.example/login"},
            data={"email": "mod@example.org", "password": PASSWORD, "csrf_token": csrf_from(page)},
        )
        assert response.status_code == 302
        session_cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
        assert session_cookies and all("Secure" in c for c in session_cookies)
        assert all("Secure" in c for c in page.headers.getlist("Set-Cookie") if c.startswith("session="))
        assert "Strict-Transport-Security" in response.headers
        db.session.remove()  # requests inside this context left the session open
        db.engine.dispose()


def test_suspected_never_public_nor_in_main_queue(client, statement, moderator_client):
    sign(client, organisation="Bot Org", homepage="x")
    assert "Bot Org" not in client.get("/statements/s").get_data(as_text=True)
    assert "Bot Org" not in client.get("/moderation/").get_data(as_text=True)
    assert "Bot Org" not in client.get("/moderation/?show=unconfirmed").get_data(as_text=True)
    suspected = client.get("/moderation/?show=suspected").get_data(as_text=True)
    assert "Bot Org" in suspected and "honeypot" in suspected


def test_block_lists_send_sign_ons_to_suspected(client, statement):
    db.session.add_all([BlockedEmailDomain(domain="spam.example"), BlockedNetwork(cidr="127.0.0.0/8")])
    db.session.commit()
    sign(client, email="x@mail.spam.example")
    db.session.execute(sa.delete(BlockedNetwork))
    db.session.commit()
    sign(client, email="ok@example.org", organisation="Other")
    assert statuses() == ["suspected", "unconfirmed"]


def test_admin_edits_block_lists(client, make_moderator, auth):
    make_moderator(role="admin")
    auth.login()
    token = csrf_from(client.get("/moderation/admin/blocklist"))
    client.post(
        "/moderation/admin/blocklist/domains", data={"csrf_token": token, "domain-domain": "@Spam.Example"}
    )
    bad = client.post(
        "/moderation/admin/blocklist/networks", data={"csrf_token": token, "network-cidr": "not ip"}
    )
    assert bad.status_code == 422 and "203.0.113.0/24" in bad.get_data(as_text=True)
    client.post(
        "/moderation/admin/blocklist/networks", data={"csrf_token": token, "network-cidr": "203.0.113.9/24"}
    )
    assert db.session.scalars(sa.select(BlockedEmailDomain.domain)).all() == ["spam.example"]
    assert db.session.scalars(sa.select(BlockedNetwork.cidr)).all() == ["203.0.113.0/24"]


def test_duplicates_are_flagged_in_the_queue(client, statement, moderator_client, make_endorsement):
    first = make_endorsement(statement, organisation="Equitable Cambodia", acronym="EC")
    make_endorsement(statement, organisation="EQUITABLE cambodia!", email="other@example.org")
    make_endorsement(statement, organisation="Different name", acronym="ec", email="third@example.org")
    html = client.get("/moderation/").get_data(as_text=True)
    assert html.count("Possible duplicate of") == 3
    assert parse(html).find("a", href=f"/moderation/endorsements/{first.id}") is not None


def test_login_rate_limit_per_account(limited_client, make_moderator):
    make_moderator()
    auth = AuthActions(limited_client)
    codes = [auth.login(password="wrong password").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]


@pytest.mark.parametrize("url", MODERATION_GETS + ADMIN_GETS)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", ADMIN_GETS)
def test_moderator_role_is_refused_admin_pages(moderator_client, url):
    response = moderator_client.get(url)
    assert response.status_code == 403
    assert "permission" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ADMIN_POSTS)
def test_moderator_role_cannot_post_admin_actions(moderator_client, url):
    token = csrf_from(moderator_client.get("/moderation/"))
    response = moderator_client.post(
        url,
        data={
            "csrf_token": token,
            "domain-domain": "x.example",
            "email": "new@example.org",
            "password": "long enough pw",
        },
    )
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(BlockedEmailDomain.id))) == 0


@pytest.mark.parametrize("url", ADMIN_GETS)
def test_admin_sees_admin_pages(client, make_moderator, auth, url):
    make_moderator(role="admin")
    auth.login()
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("code, path", [(404, "/nope"), (405, "/logout")])
def test_custom_error_pages(client, code, path):
    response = client.get(path)
    assert response.status_code == code
    assert parse(response).find("main") is not None and f"Error {code}" in text_of(response)


def _break_the_home_page(monkeypatch):
    def explode():
        raise RuntimeError("secret-detail@example.org")

    monkeypatch.setattr(Statement, "select_public", explode)


def test_an_unexpected_error_reaches_the_test_under_testing(app, client, monkeypatch):
    """No catch-all turns exceptions into a page under TESTING or DEBUG: the traceback surfaces."""
    _break_the_home_page(monkeypatch)
    with pytest.raises(RuntimeError, match="secret-detail"):
        client.get("/")


def test_unexpected_error_gives_a_500_page_without_details(app, client, monkeypatch):
    _break_the_home_page(monkeypatch)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "secret-detail" not in html


def test_healthz(client, app):
    assert client.get("/healthz").status_code == 200
    assert client.get("/ping").get_data(as_text=True) == "ok"


def test_healthz_is_503_when_the_database_is_down(database_url):
    from tests.conftest import make_test_app

    broken = (
        "postgresql+psycopg://nobody@127.0.0.1:1/none"
        if "postgresql" in database_url
        else ("sqlite:////nonexistent-dir/x.sqlite3")
    )
    app = make_test_app(broken)
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.session.remove()  # requests inside this context left the session open
        db.engine.dispose()
    assert response.status_code == 503


def test_retention_purge_anonymises_closed_statements(runner, make_statement, make_endorsement):
    old = make_statement(slug="old", status="closed", closed_at=datetime.now() - timedelta(days=200))
    recent = make_statement(slug="recent", status="closed", closed_at=datetime.now() - timedelta(days=10))
    kept = make_endorsement(old, status="approved", organisation="Kept Name", ip_hash="abc")
    make_endorsement(recent, status="approved", organisation="Recent")
    db.session.add(
        OutboxMail(kind="x", recipient="dara@example.org", subject="s", body="b", endorsement=kept)
    )
    db.session.commit()
    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0 and "1 endorsement(s) anonymised" in result.output
    db.session.expire_all()
    kept = db.session.get(Endorsement, kept.id)
    assert (kept.organisation, kept.email, kept.contact_name, kept.phone, kept.ip_hash) == (
        "Kept Name",
        None,
        None,
        None,
        None,
    )
    assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 0
    assert db.session.scalars(sa.select(Endorsement.email).where(Endorsement.organisation == "Recent")).one()
    assert runner.invoke(args=["retention", "purge"]).output.startswith("0 endorsement(s)")


def test_set_status_closes_and_records_when(runner, statement):
    result = runner.invoke(args=["statements", "set-status", "s", "closed"])
    assert result.exit_code == 0
    db.session.expire_all()
    closed = db.session.scalar(sa.select(Statement))
    assert closed.status == "closed" and closed.closed_at is not None


def test_ip_addresses_are_stored_only_as_keyed_hashes(client, statement):
    sign(client)
    stored = db.session.scalar(sa.select(Endorsement.ip_hash))
    assert stored and "127.0.0.1" not in stored and len(stored) == 32


def _moderation_urls(app, prefix: str) -> list[tuple[str, str]]:
    """Every (method, url) the app serves under `prefix`, with 1 for each id in the path."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "domains")
        found += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def test_every_moderation_route_sends_anonymous_visitors_to_login(app, client):
    routes = _moderation_urls(app, "/moderation")
    assert len(routes) > 25
    token = csrf_from(client.get("/login"))
    for method, url in routes:
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 302 and "/login" in response.headers["Location"], (method, url)


def test_every_admin_route_is_403_for_a_moderator(app, moderator_client):
    routes = _moderation_urls(app, "/moderation/admin")
    assert len(routes) > 12
    token = csrf_from(moderator_client.get("/moderation/"))
    for method, url in routes:
        response = moderator_client.open(
            url, method=method, data={"csrf_token": token} if method == "POST" else None
        )
        assert response.status_code == 403, (method, url)


@pytest.mark.parametrize("path", ["/statements/s%00", "/moderation/?q=%00", "/statements/s?lang=%00"])
def test_nul_bytes_in_an_address_get_a_clear_400(moderator_client, statement, path):
    """PostgreSQL refuses NUL in text; it must never reach a query as a 500."""
    response = moderator_client.get(path)
    assert response.status_code == 400
    assert "invisible character" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value"),
    [("reason", "dup\x00licate"), ("reason_choice", "Spam\x00"), ("reason_choice", "Spam\x1b")],
)
def test_nul_bytes_in_a_rejection_reason_get_a_message_and_change_nothing(
    moderator_client, statement, make_endorsement, field, value
):
    """The picked reason is free text from the client too (a retired reason still counts)."""
    endorsement = make_endorsement(statement)
    token = csrf_from(moderator_client.get(f"/moderation/endorsements/{endorsement.id}"))
    response = moderator_client.post(
        f"/moderation/endorsements/{endorsement.id}/reject",
        data={field: value, "csrf_token": token},
        follow_redirects=True,
    )
    assert response.status_code in (200, 400)
    assert "invisible control characters" in response.get_data(as_text=True)
    assert statuses() == ["pending"]


def test_control_characters_in_a_bulk_rejection_reason_change_nothing(
    moderator_client, statement, make_endorsement
):
    endorsement = make_endorsement(statement)
    token = csrf_from(moderator_client.get("/moderation/"))
    response = moderator_client.post(
        "/moderation/bulk",
        data={"csrf_token": token, "action": "reject", "reason_choice": "Spam\x00", "ids": [endorsement.id]},
        follow_redirects=True,
    )
    assert response.status_code in (200, 400)
    assert "invisible control characters" in response.get_data(as_text=True)
    assert statuses() == ["pending"]


def test_login_limit_counts_only_failed_attempts_and_says_when_to_retry(limited_client, make_moderator):
    make_moderator()
    auth = AuthActions(limited_client)
    for _ in range(8):  # a moderator who logs in and out often is never limited
        assert auth.login().status_code == 302
        auth.logout()
    addresses = [f"198.51.100.{n}" for n in range(6)]  # guesses from changing addresses
    codes = []
    for address in addresses:
        limited_client.environ_base["REMOTE_ADDR"] = address
        codes.append(auth.login(password="wrong password").status_code)
    assert codes == [401] * 5 + [429]
    refused = auth.login()
    assert refused.status_code == 429
    assert re.search(r"Please try again in [12] minutes?\.", refused.get_data(as_text=True))


def test_rate_limit_keys_hold_no_address(limited_client, make_moderator):
    make_moderator()
    limited_client.environ_base["REMOTE_ADDR"] = "203.0.113.77"
    AuthActions(limited_client).login(password="wrong password")
    keys = " ".join(str(key) for key in limiter.storage.storage)  # the memory storage's counters
    assert "login" in keys and "203.0.113.77" not in keys and "mod@example.org" not in keys
