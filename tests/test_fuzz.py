"""Random and hostile values at every public form: never a 500, every refusal explained,
every accepted value stored as sent and shown back escaped."""

import itertools

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from domain.tokens import make_token
from extensions import db
from models import Endorsement, Statement
from tests.helpers import csrf_from, field_errors, inline_scripts, parse, text_of

HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "'; DROP TABLE endorsements; --",
        "1' OR '1'='1",
        '=HYPERLINK("http://x")',
        "+1+1",
        "-2",
        "@SUM(A1)",
        "\x00",
        "\x1b[31m",
        "\u202e",
        "\ufeff",
        "សហគមន៍ព្រៃឡង់",
        "Ω≈ç√",
        "a" * 201,
        "x" * 5000,
        "http://spam.example",
        "{{ 7*7 }}",
        "%s%s%n",
        "\r\nBcc: a@b.c",
    ]
)
TEXT = st.one_of(HOSTILE, st.text(max_size=300), st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
counter = itertools.count()


# Everything a sign-on sends but its CSRF token and the authorisation box.
SIGNON = st.fixed_dictionaries(
    {
        "organisation": TEXT,
        "acronym": TEXT,
        "location": TEXT,
        "website": TEXT,
        "contact_name": TEXT,
        "email": st.one_of(HOSTILE, st.emails()),
        "phone": TEXT,
        "message": TEXT,
    }
)


@FUZZ
@given(fields=SIGNON, authorised=st.booleans())
def test_signon_form(client, make_statement, moderator_client, fields, authorised):
    if db.session.scalar(sa.select(Statement)) is None:  # examples share one test's database
        make_statement(slug="s")
    n = next(counter)
    email = fields["email"]
    data = {
        **fields,
        "email": email.replace("@", f"+{n}@", 1) if "@" in email else email,
        "csrf_token": csrf_from(client.get("/statements/s/sign")),
    }
    if authorised:
        data["authorised"] = "y"
    response = client.post("/statements/s/sign", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code in (303, 422), response.status_code
    if response.status_code == 422:
        assert any(field_errors(html)), "a refusal without a message"
        assert inline_scripts(html) == [] and parse(html).find("img", src="x") is None
        return
    stored = db.session.scalars(sa.select(Endorsement).order_by(Endorsement.id.desc())).first()
    assert stored.organisation == fields["organisation"].strip()
    queue = client.get("/moderation/?show=unconfirmed&q=").get_data(as_text=True)
    assert str(escape(stored.organisation)) in queue


@FUZZ
@given(email=st.one_of(HOSTILE, st.emails()), password=TEXT)
def test_login_form(client, email, password):
    token = csrf_from(client.get("/login"))
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 401), response.status_code
    assert "Email or password is not right." in text_of(html) or any(field_errors(html))
    assert inline_scripts(html) == []


@FUZZ
@given(organisation=TEXT, acronym=TEXT, location=TEXT, note=TEXT)
def test_correction_form(client, make_statement, make_endorsement, organisation, acronym, location, note):
    statement = db.session.scalar(sa.select(Statement)) or make_statement(slug="s")
    endorsement = make_endorsement(statement, status="approved", organisation=f"Org {next(counter)}")
    path = f"/manage/{make_token(endorsement.id, 'manage')}"
    token = csrf_from(client.get(path))
    response = client.post(
        f"{path}/correct",
        data={
            "organisation": organisation,
            "acronym": acronym,
            "location": location,
            "note": note,
            "csrf_token": token,
        },
    )
    assert response.status_code in (303, 422), response.status_code
    if response.status_code == 422:
        assert any(field_errors(response))
        return
    db.session.expire_all()
    corrected = db.session.get(Endorsement, endorsement.id)
    proposed = corrected.waiting_correction
    if proposed is None:  # the same name as shown: nothing to correct, said so
        assert corrected.organisation == organisation.strip()
        return
    assert proposed.proposed["organisation"] == organisation.strip() and corrected.status == "approved"
    assert str(escape(proposed.proposed["organisation"])) in client.get(path).get_data(as_text=True)
