"""The public page is rendered once per list version and revalidated with ETags; a change
made through any app instance is seen by every other at its next request."""

import pytest

from domain.endorsements import approve, edit_public_fields, withdraw
from domain.statements import set_status
from extensions import db
from models import Endorsement, Statement
from tests.conftest import make_test_app
from tests.test_public import list_items


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
    assert first.headers["Cache-Control"] == "private, no-cache" and "Cookie" in first.headers["Vary"]
    assert first.headers["Last-Modified"]
    again = client.get("/statements/s", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    change_in(app, lambda e: approve(e, None))
    fresh = client.get("/statements/s", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert "Second Org" in fresh.get_data(as_text=True)


def test_closing_changes_the_validator(client, listed, app):
    etag = client.get("/statements/s").headers["ETag"]
    set_status(db.session.scalar(db.select(Statement)), "closed")
    db.session.commit()
    response = client.get("/statements/s", headers={"If-None-Match": etag})
    assert response.status_code == 200 and "Sign-on is closed" in response.get_data(as_text=True)


def test_another_readers_validator_does_not_match(app, listed):
    etag = app.test_client().get("/statements/s").headers["ETag"]
    response = app.test_client().get("/statements/s", headers={"If-None-Match": etag})
    assert response.status_code == 200  # a new reader has another CSRF token: full page


def test_cached_page_keeps_a_working_csrf_token(client, listed):
    from tests.test_signon import sign

    client.get("/statements/s")
    etag = client.get("/statements/s").headers["ETag"]
    assert client.get("/statements/s", headers={"If-None-Match": etag}).status_code == 304
    assert sign(client).status_code == 303


def test_a_returning_reader_gets_no_new_cookie(client, listed):
    client.get("/statements/s")
    second = client.get("/statements/s")
    assert "Set-Cookie" not in second.headers
    revalidated = client.get("/statements/s", headers={"If-None-Match": second.headers["ETag"]})
    assert revalidated.status_code == 304 and "Set-Cookie" not in revalidated.headers
