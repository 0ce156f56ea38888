"""Issue 14.1: a sign-on costs the same whatever it finds. The POST runs the same SQL, in the same
order, for a new sign-on, a repeat of a standing endorsement, a repeat of one that asked not to
be named, and one the spam checks set aside: the decision comes after the answer. (The timing
itself is measured by `make bench`, scenario "repeat vs new sign-on".)"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

import domain.spam
from extensions import db
from models import now_utc
from tests.helpers import hidden_fields, signons_decided

KINDS = {
    "new": {"organisation": "Brand New Org", "email": "new@example.org"},
    "repeat": {"organisation": "Standing Org", "email": "standing@example.org"},
    "repeat of an unnamed one": {
        "organisation": "Unnamed Org",
        "email": "unnamed@example.org",
        "anonymous": "y",
    },
    "suspected": {"organisation": "Bot Org", "email": "bot@example.org", "homepage": "http://spam.example"},
}
VALID = {"contact_name": "Chan Sophea", "authorised": "y"}


@pytest.fixture
def app_config():
    # Web processes only keep sign-ons; nothing is decided inside the request.
    return {"OUTBOX_DELIVERY": "worker", "SIGNON_MIN_SECONDS": 3}


@pytest.fixture
def later(monkeypatch):
    """Every form was shown long enough ago, so the timer's checks all run and pass."""
    monkeypatch.setattr(domain.spam, "now_utc", lambda: now_utc() + timedelta(seconds=30))


def sql_of(app, client, fields: dict) -> list[str]:
    """The statements the sign-on POST sends to the database: verb and table, in order."""
    form = hidden_fields(client.get("/statements/s/sign"), "/statements/s/sign")
    sent = []

    def note(_connection, _cursor, statement, *_args):
        verb, table = re.match(
            r"\s*(\w+)\b.*?\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", statement, re.S | re.I
        ).groups()
        sent.append(f"{verb.upper()} {table}")

    engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        response = client.post("/statements/s/sign", data={**VALID, **form, **fields})
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert response.status_code == 303
    return sent


def test_every_kind_of_sign_on_runs_the_same_statements(app, client, make_statement, make_endorsement, later):
    statement = make_statement(slug="s")
    make_endorsement(statement, organisation="Standing Org", email="standing@example.org", mails_sent=5)
    make_endorsement(statement, organisation="Unnamed Org", email="unnamed@example.org", anonymous=True)
    statements = {kind: sql_of(app, client, fields) for kind, fields in KINDS.items()}
    assert (
        statements["new"]
        == statements["repeat"]
        == statements["repeat of an unnamed one"]
        == statements["suspected"]
    )
    writes = [sql for sql in statements["new"] if not sql.startswith("SELECT")]
    assert writes == ["INSERT signon_intake"]  # one row, whatever the sign-on is
    assert not signons_decided()  # and none of them was decided inside its request
