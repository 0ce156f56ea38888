"""The edges of the addresses: numbers no database column can hold get a 404, not a 500, and
pages with personal data or a personal link are kept by no cache, the browser's included."""

import pytest

from models import Role
from tests.helpers import endorser_links, sign, text_of

BEYOND_BIGINT = "99999999999999999999"  # over 2**63: PostgreSQL and SQLite both refuse it
JUST_BEYOND = str(2**63)


@pytest.fixture
def admin_client(client, auth, make_moderator):
    make_moderator(email="admin@example.org", role=Role.ADMIN)
    auth.login("admin@example.org")
    return client


@pytest.mark.parametrize("number", [BEYOND_BIGINT, JUST_BEYOND])
@pytest.mark.parametrize(
    "path",
    [
        "/moderation/endorsements/{n}",
        "/moderation/admin/statements/{n}/edit",
        "/moderation/admin/statements/{n}/versions",
        "/moderation/admin/statements/{n}/preview",
    ],
)
def test_an_id_no_database_holds_is_a_404(admin_client, path, number):
    response = admin_client.get(path.format(n=number))
    assert response.status_code == 404
    assert "Page not found" in text_of(response)


PAGES_OUT_OF_RANGE = [
    f"page={BEYOND_BIGINT}",
    f"page={JUST_BEYOND}",
    "page=4611686018427387904",  # a page number the database holds, but its first row is past 2**63
    "page=-3",
    "page=0",
]
STATEMENTS_OUT_OF_RANGE = [f"statement={BEYOND_BIGINT}", "statement=-1", "statement=0"]


@pytest.mark.parametrize(
    ("path", "query"),
    [
        (path, query)
        for path in ("/moderation/", "/moderation/endorsements")
        for query in STATEMENTS_OUT_OF_RANGE
    ]
    + [
        (path, query)
        for path in ("/moderation/", "/moderation/endorsements", "/moderation/outbox")
        for query in PAGES_OUT_OF_RANGE
    ],
)
def test_a_page_or_filter_out_of_range_is_a_404(admin_client, shared_statement, path, query):
    response = admin_client.get(f"{path}?{query}")
    assert response.status_code == 404
    assert "Page not found" in text_of(response)


@pytest.mark.parametrize(
    "query", [f"old={BEYOND_BIGINT}", f"new={JUST_BEYOND}", "old=-1", f"old=1&new={BEYOND_BIGINT}"]
)
def test_versions_out_of_range_are_a_404(admin_client, shared_statement, query):
    response = admin_client.get(f"/moderation/admin/statements/{shared_statement.id}/versions?{query}")
    assert response.status_code == 404


def test_the_admin_export_of_a_statement_out_of_range_is_a_404(admin_client, shared_statement):
    assert admin_client.get(f"/moderation/admin/export.csv?statement={BEYOND_BIGINT}").status_code == 404


def test_a_page_past_the_last_is_a_clear_empty_page(admin_client, shared_statement):
    """A moderator who decided the last entry of page 2 comes back to page 2: no error for that."""
    response = admin_client.get("/moderation/?page=2")
    assert response.status_code == 200
    assert "Nothing is waiting" in text_of(response)


def test_a_page_in_range_still_works(admin_client, shared_statement):
    response = admin_client.get(f"/moderation/endorsements?page=1&statement={shared_statement.id}")
    assert response.status_code == 200
    assert "Cambodian Center for Human Rights" in text_of(response)


# ---------------------------------------------------------------- no cache keeps them


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/moderation/",
        "/moderation/?show=suspected",
        "/moderation/endorsements",
        "/moderation/outbox",
        "/moderation/settings",
        "/moderation/endorsements/new",
        "/moderation/admin/statements",
        "/moderation/admin/reasons",
        "/moderation/admin/moderators",
        "/moderation/admin/blocklist",
    ],
)
def test_moderation_pages_are_never_stored(admin_client, shared_statement, path):
    response = admin_client.get(path)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_the_endorser_pages_are_never_stored(client, make_statement):
    make_statement(slug="s")
    form = client.get("/statements/s/sign")
    assert "no-store" in form.headers["Cache-Control"]
    signed = sign(client)
    assert "no-store" in client.get(signed.headers["Location"]).headers["Cache-Control"]
    confirm, manage = endorser_links("sophea@example.org")
    for path in (confirm, manage, f"{manage}/withdraw"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers["Cache-Control"], path


def test_the_statement_page_stays_cacheable(client, make_statement):
    make_statement(slug="s")
    assert client.get("/statements/s").headers["Cache-Control"].startswith("public")
