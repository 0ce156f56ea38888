"""Organisers who can be reached (issue 15.4): who publishes each statement and how to reach
them, set for the site, in the admin form or in a statement file; the privacy page; moderators
created with the CLI are told of new endorsements unless they opt out."""

import pytest
import sqlalchemy as sa
from flask import render_template_string

from extensions import db
from models import ModerationEvent, Moderator, Statement
from tests.helpers import SHARED_STATEMENT, csrf_from, parse, text_of

FILE = """## Joint Statement
# Free the Press
27 June 2024

Published by: {line}

We call on everyone.

1. Cambodian Center for Human Rights (CCHR)
"""


@pytest.fixture
def admin_client(client, make_moderator, auth):
    make_moderator(email="admin@example.org", role="admin")
    assert auth.login(email="admin@example.org").status_code == 302
    return client


def organisers_line(client, slug: str) -> str:
    line = parse(client.get(f"/statements/{slug}")).find("p", class_="organisers")
    return " ".join(line.get_text(" ").split()) if line else ""


def test_the_site_organisers_by_default_and_a_statement_its_own(app, client, make_statement):
    make_statement(slug="s")
    assert organisers_line(client, "s") == ""  # nothing set: nothing claimed
    app.config.update(ORGANISER_NAME="Free Press Coalition", ORGANISER_EMAIL="coalition@example.org")
    make_statement(slug="t")
    assert organisers_line(client, "t") == "Published by Free Press Coalition. Contact: coalition@example.org"
    make_statement(slug="u", publisher="CENTRAL", contact_email="central@example.org")
    assert organisers_line(client, "u") == "Published by CENTRAL. Contact: central@example.org"
    mail_link = parse(client.get("/statements/u")).find("p", class_="organisers").find("a")
    assert mail_link["href"] == "mailto:central@example.org"


# The admin's statement form, filled in.
STATEMENT = dict(
    slug="new-one", title="A new statement", body="We call.", status="open", list_order="published"
)


def statement_fields(**changes):
    return {**STATEMENT, **changes}


def test_admin_sets_the_publisher_and_contact_of_a_statement(admin_client):
    page = "/moderation/admin/statements/new"
    data = statement_fields(publisher="CENTRAL", contact_email="central@example.org")
    assert (
        admin_client.post(page, data={"csrf_token": csrf_from(admin_client.get(page)), **data}).status_code
        == 302
    )
    statement = db.session.scalar(sa.select(Statement))
    assert (statement.publisher, statement.contact_email) == ("CENTRAL", "central@example.org")
    assert organisers_line(admin_client, "new-one") == "Published by CENTRAL. Contact: central@example.org"

    edit = f"/moderation/admin/statements/{statement.id}/edit"
    bad = statement_fields(publisher="CENTRAL", contact_email="not an address")
    response = admin_client.post(edit, data={"csrf_token": csrf_from(admin_client.get(edit)), **bad})
    assert response.status_code == 422 and "valid email address" in text_of(response)
    db.session.expire_all()
    assert statement.contact_email == "central@example.org"  # nothing stored was lost

    cleared = statement_fields(publisher="", contact_email="")
    admin_client.post(edit, data={"csrf_token": csrf_from(admin_client.get(edit)), **cleared})
    db.session.expire_all()
    assert (statement.publisher, statement.contact_email) == (None, None)
    (event,) = db.session.scalars(
        sa.select(ModerationEvent).where(ModerationEvent.action == "statement_edit")
    )
    assert event.before == {"publisher": "CENTRAL", "contact_email": "central@example.org"}


@pytest.mark.parametrize(
    "line, publisher, contact",
    [
        ("CENTRAL, Cambodia <info@central.example.org>", "CENTRAL, Cambodia", "info@central.example.org"),
        ("CENTRAL", "CENTRAL", None),
        ("<info@central.example.org>", None, "info@central.example.org"),
    ],
)
def test_a_statement_file_names_its_publisher(runner, tmp_path, line, publisher, contact):
    path = tmp_path / "2024-06-27-free.md"
    path.write_text(FILE.format(line=line), encoding="utf-8")
    result = runner.invoke(args=["statements", "import", str(path)])
    assert result.exit_code == 0, result.output
    statement = db.session.scalar(sa.select(Statement))
    assert (statement.publisher, statement.contact_email) == (publisher, contact)
    assert statement.body == "We call on everyone."


@pytest.mark.parametrize("line", ["", "CENTRAL <not an address>", "<a@b>"])
def test_a_malformed_publisher_line_is_refused_with_its_line_number(runner, tmp_path, line):
    path = tmp_path / "2024-06-27-free.md"
    path.write_text(FILE.format(line=line), encoding="utf-8")
    result = runner.invoke(args=["statements", "import", str(path)])
    assert (
        result.exit_code != 0
        and "line 5: expected 'Published by: Name <contact@example.org>'" in result.output
    )
    assert db.session.scalar(sa.select(sa.func.count(Statement.id))) == 0


def test_a_file_without_the_line_keeps_what_an_admin_set(runner, make_statement):
    make_statement(slug="stop-reprisals-against-central", publisher="CENTRAL")
    assert runner.invoke(args=["statements", "import", str(SHARED_STATEMENT)]).exit_code == 0
    db.session.expire_all()
    assert db.session.scalar(sa.select(Statement.publisher)) == "CENTRAL"


def test_the_privacy_page_says_who_sees_what_for_how_long_and_whom_to_ask(app, client, make_statement):
    app.config.update(ORGANISER_NAME="Free Press Coalition", ORGANISER_EMAIL="coalition@example.org")
    make_statement(slug="s", title="Free the Press", publisher="CENTRAL", contact_email="central@example.org")
    footer = parse(client.get("/statements/s")).find("footer")
    privacy = client.get(footer.find("a", string="Privacy")["href"])
    assert privacy.status_code == 200
    text = text_of(privacy)
    assert "seen only by the moderators" in text
    assert "Until 180 days after the statement closes" in text
    assert "Every mail we send you ends with your personal link" in text
    joined = " ".join(parse(privacy).get_text().split())  # the address is a link inside the sentence
    assert "This site is run by Free Press Coalition. Write to coalition@example.org." in joined
    assert "Free the Press : CENTRAL · central@example.org" in text


def test_the_privacy_notice_for_the_sign_on_form(app, client):
    app.config["RETENTION_DAYS"] = 90
    with app.test_request_context("/"):
        notice = parse(render_template_string('{% include "public/_privacy_notice.html" %}'))
    assert "Only the moderators see your contact details" in notice.get_text()
    assert "erased 90 days after the statement closes" in notice.get_text()
    assert notice.find("a")["href"] == "/privacy"


def create(runner, *options, email="new@example.org"):
    result = runner.invoke(
        args=["moderators", "create", email, "--password-stdin", *options], input="a long password\n"
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return db.session.scalar(Moderator.select_by_email(email)).notify_new_endorsements


def test_moderators_created_with_the_cli_are_notified_unless_they_opt_out(runner):
    assert create(runner) is True
    assert create(runner, "--no-notify", email="quiet@example.org") is False
    assert create(runner, email="quiet@example.org") is False  # a password reset keeps the choice
    assert create(runner, "--notify", email="quiet@example.org") is True
