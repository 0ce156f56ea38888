"""The logs: a line per request with its link tokens masked, lines for decisions, logins and
limits, in text or JSON, and never a contact detail or a token."""

import json
import logging

import pytest
import sqlalchemy as sa

from extensions import db
from logging_setup import formatter
from models import Endorsement
from tests.helpers import (
    VALID,
    AuthActions,
    as_sent,
    csrf_from,
    link_in,
    mail_settings,
    make_test_app,
    outbox_mails,
    post_button,
    sign,
)


@pytest.fixture
def app_config(smtp_server):
    """Mail goes to a real server (the module's), as in production: without one the outbox
    prints mail to the console for a newcomer's `make run`, links and all."""
    return mail_settings(smtp_server)


# The test's own SMTP server (aiosmtpd) logs what it receives; it is not part of the app.
HARNESS_LOGGERS = ("mail.log",)


def logged(records, log_format: str) -> list[str]:
    """The app's captured records as LOG_FORMAT writes them."""
    write = formatter(log_format)
    return [write.format(record) for record in records if record.name not in HARNESS_LOGGERS]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_full_flow_logs_no_contact_detail_and_no_token(
    client, statement, make_moderator, caplog, log_format
):
    caplog.set_level(logging.INFO)
    make_moderator()
    sign(client, "s")
    mail = as_sent(outbox_mails("confirm_endorsement")[-1])  # with the links its reader gets
    confirm_path, manage_path = link_in(mail, "/confirm/"), link_in(mail, "/manage/")
    client.post(confirm_path, data={"csrf_token": csrf_from(client.get(confirm_path))})
    client.get(manage_path)
    AuthActions(client).login()
    endorsement_id = db.session.scalar(sa.select(Endorsement.id))
    approved = post_button(client, f"/moderation/endorsements/{endorsement_id}/approve")
    assert approved.status_code in (302, 303)
    lines = logged(caplog.records, log_format)
    text = "\n".join(lines)
    for secret in (
        VALID["email"],
        VALID["phone"],
        VALID["contact_name"],
        VALID["message"],
        "mod@example.org",
        confirm_path.split("/")[2].split("?")[0],
        manage_path.split("/")[2].split("?")[0],
    ):
        assert secret not in text
    assert (
        "GET /confirm/*** 200" in text and "POST /confirm/*** 200" in text and "GET /manage/*** 200" in text
    )
    assert f"approve: endorsement {endorsement_id}" in text and "login: moderator" in text
    if log_format == "json":
        entries = [json.loads(line) for line in lines]
        request = next(entry for entry in entries if entry.get("path") == "/confirm/***")
        assert request["method"] == "GET" and request["status"] == 200 and request["duration_ms"] >= 0


def test_each_answer_carries_its_request_id_and_the_log_line_has_it(client, statement, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/statements/s")
    request_id = response.headers["X-Request-ID"]
    (line,) = [record for record in caplog.records if record.name == "jointly.request"]
    assert request_id in formatter("text").format(line) and len(request_id) == 32
    proxied = client.get("/statements/s", headers={"X-Request-ID": "nginx-request-0123456789"})
    assert proxied.headers["X-Request-ID"] == "nginx-request-0123456789"
    forged = client.get("/statements/s", headers={"X-Request-ID": "bad id; INFO forged line"})
    assert "forged" not in forged.headers["X-Request-ID"]


def test_paths_no_route_matched_are_masked_too(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/confirm/a-token-value/extra")
    client.post("/manage/another-token-value")
    text = "\n".join(logged(caplog.records, "text"))
    assert "GET /confirm/***/extra 404" in text and "POST /manage/*** 405" in text
    assert "token-value" not in text


def test_limits_and_failed_logins_are_logged(limited_client, make_moderator, caplog):
    caplog.set_level(logging.INFO)
    make_moderator()
    auth = AuthActions(limited_client)
    codes = [auth.login(password="wrong password").status_code for _ in range(6)]
    assert codes[-1] == 429
    messages = [record.getMessage() for record in caplog.records]
    assert messages.count("login failed") == 5
    assert any(
        message.startswith("rate limit 5 per 1 minute reached on POST auth.login") for message in messages
    )
    assert "mod@example.org" not in "\n".join(messages)


def test_an_unknown_log_format_is_refused_at_start(database_url):
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        make_test_app(database_url, LOG_FORMAT="xml")
