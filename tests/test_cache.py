"""The public page is rendered once per list version and revalidated with ETags; a change
made through any app instance is seen by every other at its next request."""

import gzip
import os
from pathlib import Path

import pytest

from domain.endorsements import approve, edit_public_fields, withdraw
from domain.statements import set_status
from extensions import db
from models import Endorsement, Statement
from tests.helpers import list_items, make_test_app, sign
from views.page_cache import templates_version


@pytest.fixture
def two_instances(database_url, app):
    """A second app, with its own engine and its own render cache, on the same database."""
    other = make_test_app(database_url)
    yield app, other
    with other.app_context():
        db.session.remove()  # requests inside this context left the session open
        db.engine.dispose()


def page_in(app_instance, slug="s") -> list[str]:
    with app_instance.app_context():
        html = app_instance.test_client().get(f"/statements/{slug}").get_data(as_text=True)
    return list_items(html)


def change_in(app_instance, change) -> None:
    with app_instance.app_context():
        endorsement = db.session.scalar(db.select(Endorsement).order_by(Endorsement.id.desc()))
        change(endorsement)
        db.session.commit()


@pytest.fixture
def listed(make_statement, make_endorsement, make_moderator):
    statement = make_statement(slug="s")
    make_endorsement(statement, status="approved", organisation="First Org")
    make_endorsement(statement, organisation="Second Org")
    return make_moderator()


def test_approval_in_one_instance_shows_in_the_other(two_instances, listed):
    reader, writer = two_instances
    assert page_in(reader) == ["First Org"]
    change_in(writer, lambda e: approve(e, None))
    assert page_in(reader) == ["First Org", "Second Org"]


def test_edit_in_one_instance_shows_in_the_other(two_instances, listed):
    reader, writer = two_instances
    change_in(writer, lambda e: approve(e, None))
    assert page_in(reader) == ["First Org", "Second Org"]
    change_in(writer, lambda e: edit_public_fields(e, None, {"organisation": "Second Org", "acronym": "SO"}))
    assert page_in(reader) == ["First Org", "Second Org (SO)"]


def test_withdrawal_in_one_instance_shows_in_the_other(two_instances, listed):
    reader, writer = two_instances
    change_in(writer, lambda e: approve(e, None))
    assert page_in(reader) == ["First Org", "Second Org"]
    change_in(writer, lambda e: withdraw(e))
    assert page_in(reader) == ["First Org"]


def test_statement_edit_shows_in_the_other(two_instances, listed):
    reader, writer = two_instances
    page_in(reader)
    with writer.app_context():
        statement = db.session.scalar(db.select(Statement))
        statement.body = "A corrected body."
        db.session.commit()
    with reader.app_context():
        assert "A corrected body." in reader.test_client().get("/statements/s").get_data(as_text=True)


def test_conditional_get_answers_304_until_something_changes(client, listed, app):
    first = client.get("/statements/s")
    etag = first.headers["ETag"]
    assert (
        first.headers["Cache-Control"] == "public, max-age=0, s-maxage=10"
        and "Cookie" in first.headers["Vary"]
    )
    assert first.headers["Last-Modified"]
    again = client.get("/statements/s", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    # A 304 names what its 200 varied on, or a shared cache may pair it with the wrong body.
    assert {"Cookie", "Accept-Language", "Accept-Encoding"} <= set(again.headers["Vary"].split(", "))
    change_in(app, lambda e: approve(e, None))
    fresh = client.get("/statements/s", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert "Second Org" in fresh.get_data(as_text=True)


def test_a_deploy_that_changes_only_a_translation_changes_the_validator(database_url, listed, app):
    """Fixing Khmer wording changes no template; readers must still get the new page."""
    catalogue = Path(app.root_path) / "translations" / "km" / "LC_MESSAGES" / "messages.po"
    before = catalogue.stat()

    def version_in_a_new_process():
        with make_test_app(database_url).app_context():
            version = templates_version()
            db.session.remove()
            db.engine.dispose()
        return version

    old_version = version_in_a_new_process()
    try:
        os.utime(catalogue, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
        assert version_in_a_new_process() != old_version
    finally:
        os.utime(catalogue, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_closing_changes_the_validator(client, listed, app):
    etag = client.get("/statements/s").headers["ETag"]
    set_status(db.session.scalar(db.select(Statement)), "closed")
    db.session.commit()
    response = client.get("/statements/s", headers={"If-None-Match": etag})
    assert response.status_code == 200 and "Sign-on is closed" in response.get_data(as_text=True)


def test_every_anonymous_reader_shares_one_validator_and_a_moderator_has_their_own(app, listed, auth, client):
    etag = app.test_client().get("/statements/s").headers["ETag"]
    assert app.test_client().get("/statements/s", headers={"If-None-Match": etag}).status_code == 304
    auth.login()
    own = client.get("/statements/s", headers={"If-None-Match": etag})
    assert own.status_code == 200 and own.headers["ETag"] != etag
    assert own.headers["Cache-Control"] == "private, no-cache"  # never kept by a shared cache


def test_a_reader_who_revalidated_can_still_sign(client, listed):
    etag = client.get("/statements/s").headers["ETag"]
    assert client.get("/statements/s", headers={"If-None-Match": etag}).status_code == 304
    assert sign(client).status_code == 303


def test_a_returning_reader_gets_no_new_cookie(client, listed):
    client.get("/statements/s")
    second = client.get("/statements/s")
    assert "Set-Cookie" not in second.headers
    revalidated = client.get("/statements/s", headers={"If-None-Match": second.headers["ETag"]})
    assert revalidated.status_code == 304 and "Set-Cookie" not in revalidated.headers


GZIP = {"Accept-Encoding": "gzip, deflate"}


def gzip_page(client, path="/statements/s") -> str:
    response = client.get(path, headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in response.headers["Vary"]
    return gzip.decompress(response.get_data()).decode()


def test_gzip_and_plain_pages_are_the_same_page_for_every_reader(client, listed, app):
    plain = client.get("/statements/s")
    assert "Content-Encoding" not in plain.headers
    assert gzip_page(client) == plain.get_data(as_text=True) == gzip_page(app.test_client())


def test_the_gzip_page_follows_an_approval_in_another_instance(two_instances, listed):
    reader, writer = two_instances
    with reader.app_context():
        assert list_items(gzip_page(reader.test_client())) == ["First Org"]
    change_in(writer, lambda e: approve(e, None))
    with reader.app_context():
        assert list_items(gzip_page(reader.test_client())) == ["First Org", "Second Org"]


def test_a_closed_statement_shares_a_page_without_a_form(client, listed):
    statement = db.session.scalar(db.select(Statement))
    set_status(statement, "closed")
    db.session.commit()
    html = gzip_page(client)
    assert "/statements/s/sign" not in html and "csrf_token" not in html
    assert list_items(html) == ["First Org"]


def test_moderators_and_unusual_addresses_get_their_own_page(client, listed, auth):
    client.get("/statements/s")  # the shared page is built
    page = client.get("/statements/s?utm_source=mail").get_data(as_text=True)
    assert "next=/statements/s?utm_source%3Dmail" in page  # the language switcher keeps the address
    auth.login()
    page = client.get("/statements/s", headers=GZIP).get_data(as_text=True)
    assert "Log out" in page  # not the anonymous readers' shared page
