"""Names and contact fields: look-alikes share a duplicate key, invisible layout characters and
web addresses are refused with a message, websites as people type them, limits that are told,
Khmer digits, and CSV cells that cannot run as formulas."""

import csv
import io

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from extensions import db
from models import Endorsement, EndorsementStatus
from models.endorsement import organisation_key
from tests.helpers import ROOT, parse, post_button, sign, text_of

CCHR = "Cambodian Center for Human Rights"
LOOK_ALIKES = {
    "cyrillic-es": "\u0421ambodian Center for Human Rights",
    "zero-width-space": "Cambo\u200bdian Center for Human Rights",
    "soft-hyphen": "Cambo\u00addian Center for Human Rights",
}
KHMER_NAME = "សហគមន៍\u200bព្រៃឡង់"
LAYOUT = "change the direction of the text or start a new line"
WEBSITE_FIELD = "Please put the web address in the Website field"
MIGRATION = "b7d41c9e2f05"


def stored() -> list[Endorsement]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Endorsement).order_by(Endorsement.id)).all()


def refusal(response) -> str:
    """The page's error text, after checking it is a refusal that shows the form again."""
    assert response.status_code == 422
    page = parse(response)
    assert page.find(class_="error-summary") is not None
    return " ".join(error.get_text(" ") for error in page.find_all(class_="error"))


def csv_cells(response, column: str) -> list[str]:
    return [row[column] for row in csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")))]


# ---------------------------------------------------------------- look-alike names (issue 14.7)


@pytest.mark.parametrize("name", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_look_alikes_get_the_latin_names_key(name):
    assert name != CCHR
    assert organisation_key(name) == organisation_key(CCHR)
    assert organisation_key(name.upper(), "Phnom Penh") == organisation_key(CCHR, "phnom penh")


def test_different_khmer_names_keep_different_keys():
    """Vowel signs are letters of the key: these are two names, not one."""
    assert organisation_key("កា") != organisation_key("កី")
    assert organisation_key(KHMER_NAME) == organisation_key(KHMER_NAME.replace("\u200b", ""))


def test_look_alikes_of_cchr_are_flagged_and_cannot_be_approved(client, moderator_client, shared_statement):
    slug = shared_statement.slug
    for number, name in enumerate(LOOK_ALIKES.values()):
        email = f"c{number}@example.org"
        assert sign(client, slug, organisation=name, acronym="", location="", email=email).status_code == 303
    cchr = next(e for e in stored() if e.organisation == CCHR)
    look_alikes = [e for e in stored() if e.status == EndorsementStatus.UNCONFIRMED]
    assert [e.organisation for e in look_alikes] == list(LOOK_ALIKES.values())  # stored as typed

    queue = parse(moderator_client.get("/moderation/?show=unconfirmed"))
    for endorsement in look_alikes:
        item = queue.find(id=f"endorsement-{endorsement.id}")
        warning = item.find(class_="duplicate-warning")
        assert warning is not None, endorsement.organisation
        assert f"/moderation/endorsements/{cchr.id}" in [a["href"] for a in warning.find_all("a")]

    for endorsement in look_alikes:
        response = post_button(moderator_client, f"/moderation/endorsements/{endorsement.id}/approve")
        page = moderator_client.get(response.headers["Location"])
        assert "already in the list as number 7" in text_of(page)
    assert {e.status for e in stored() if e in look_alikes} == {"unconfirmed"}


def test_database_refuses_an_approved_look_alike(shared_statement, make_endorsement):
    with pytest.raises(sa.exc.IntegrityError):
        make_endorsement(shared_statement, status="approved", organisation=LOOK_ALIKES["cyrillic-es"])
    db.session.rollback()


def test_khmer_name_keeps_its_zero_width_space_for_display(client, statement, moderator_client):
    assert sign(client, organisation=KHMER_NAME, organisation_km=KHMER_NAME, acronym="").status_code == 303
    (endorsement,) = stored()
    assert endorsement.organisation == endorsement.organisation_km == KHMER_NAME
    assert "\u200b" not in endorsement.organisation_key
    page = moderator_client.get(f"/moderation/endorsements/{endorsement.id}")
    assert KHMER_NAME in page.get_data(as_text=True)


@pytest.mark.parametrize("character", ["\u202e", "\u2028", "\u2029", "\u202a", "\u2066", "\u200f", "\u061c"])
@pytest.mark.parametrize(
    "field, value",
    [
        ("organisation", "Mekong{} Fishers"),
        ("organisation_km", "សហគមន៍{}ព្រៃឡង់"),
        ("acronym", "M{}FN"),
        ("location", "Kra{}tie"),
        ("contact_name", "Chan{} Sophea"),
        ("website", "https://mfn.example.org/{}about"),
    ],
)
def test_layout_controls_are_refused_with_a_message(client, statement, field, value, character):
    response = sign(client, **{field: value.format(character)})
    assert LAYOUT in refusal(response)
    assert stored() == []


# ---------------------------------------------------------------- web addresses in names (14.10)

PHISHING = [
    "Acme - ACTION REQUIRED verify your account at secure-login.co/verify",
    "evil。com",
    "ｅｖｉｌ．ｃｏｍ",
    "evil｡com",
    "evil\u200b.com",
    "hxxp://evil",
    "write to boss@evil.example",
]


@pytest.mark.parametrize("field", ["organisation", "contact_name", "location", "acronym"])
@pytest.mark.parametrize("name", PHISHING)
def test_a_name_with_a_web_address_points_to_the_website_field(client, statement, field, name):
    response = sign(client, **{field: name})
    assert WEBSITE_FIELD in refusal(response)
    assert stored() == []


@pytest.mark.parametrize(
    "name", ["St. John's Community", "Dr. Sok", "No. 5 Union", "U.S.-Cambodia Forum", "Ph.D. Alumni 2.0"]
)
def test_dotted_names_that_are_not_addresses_pass(client, statement, name):
    assert sign(client, organisation=name, contact_name=name, acronym="").status_code == 303
    ((organisation, contact),) = [(e.organisation, e.contact_name) for e in stored()]
    assert organisation == contact == name


# ---------------------------------------------------------------- websites (issue 15.5)


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("tsfn.org.kh", "https://tsfn.org.kh"),
        ("example.org.kh", "https://example.org.kh"),
        ("www.example.org", "https://www.example.org"),
        ("http://example.org/about", "http://example.org/about"),
    ],
)
def test_website_as_people_type_it_is_stored_with_https(client, statement, typed, kept):
    page = parse(client.get("/statements/s/sign"))
    assert page.find("input", attrs={"name": "website"})["type"] == "text"  # type=url refuses 'tsfn.org.kh'
    assert sign(client, website=typed).status_code == 303
    assert stored()[0].website == kept


@pytest.mark.parametrize(
    "website, message",
    [
        ("javascript:alert(1)", "Only a web page can be linked here"),
        ("JavaScript://%0aalert(1)", "Only a web page can be linked here"),
        ("ftp://example.org/file", "Only a web page can be linked here"),
        ("data:text/html,<script>alert(1)</script>", "Only a web page can be linked here"),
        ("mailto:someone@example.org", "Only a web page can be linked here"),
        ("not a web address", "Please enter a web address, like example.org.kh."),
    ],
)
def test_other_schemes_are_refused(client, statement, website, message):
    assert message in refusal(sign(client, website=website))
    assert stored() == []


# ---------------------------------------------------------------- limits told, not cut (15.10)


def test_a_237_character_name_is_refused_whole_with_its_length(client, statement):
    name = ("Network of Community Forestry Committees of " * 6)[:237]
    response = sign(client, organisation=name)
    assert "Please shorten this to 200 characters or fewer; it has 237." in refusal(response)
    assert stored() == []
    field = parse(response).find("input", attrs={"name": "organisation"})
    assert field["value"] == name  # shown back whole, for the endorser to shorten


def test_name_fields_tell_their_limit_and_the_browser_cuts_nothing(client, statement):
    page = parse(client.get("/statements/s/sign"))
    limits = {"organisation": 200, "organisation_km": 200, "acronym": 40, "location": 120}
    for name, limit in {**limits, "contact_name": 120}.items():
        help_text = page.find(id=f"{name}-help").get_text()
        assert f"Up to {limit} characters." in help_text
    assert page.select("form[action$='/sign'] [maxlength]") == []


# ---------------------------------------------------------------- Khmer digits (15.14)


def test_a_phone_number_in_khmer_digits_is_accepted_in_khmer(client, statement):
    client.set_cookie("lang", "km")
    response = sign(client, organisation="សហគមន៍ព្រៃឡង់", acronym="", phone="+៨៥៥ ១២ ៣៤៥ ៦៧៨")
    assert response.status_code == 303
    assert stored()[0].phone == "+855 12 345 678"  # what a moderator dials and searches for


@pytest.mark.parametrize("phone", ["call me maybe", "012\u2028345", "012\t345"])
def test_a_phone_number_with_other_characters_is_refused(client, statement, phone):
    assert "digits (០–៩ or 0–9)" in refusal(sign(client, phone=phone))
    assert stored() == []


# ---------------------------------------------------------------- the CSV formula guard (14.11)

HIDDEN_FORMULAS = ["\u200b=HYPERLINK(1)", "＝1+1", "＋1", "－1", "＠SUM(A1)", "\u00ad \u200d=1", "\ufeff@x"]


@pytest.mark.parametrize("name", HIDDEN_FORMULAS)
def test_the_form_refuses_a_formula_behind_invisible_or_wide_characters(client, statement, name):
    assert "not = + - or @" in refusal(sign(client, organisation=name))
    assert stored() == []


@pytest.mark.parametrize("name", HIDDEN_FORMULAS)
def test_every_csv_neutralises_hidden_formulas(
    client, auth, make_moderator, make_endorsement, statement, name
):
    make_endorsement(statement, status="approved", organisation=name, location=name, contact_name=name)
    public = client.get("/statements/s/endorsements.csv")
    assert csv_cells(public, "organisation") == csv_cells(public, "location") == ["'" + name]
    make_moderator(email="admin@example.org", role="admin")
    assert auth.login(email="admin@example.org").status_code == 302
    admin = client.get("/moderation/admin/export.csv")
    for column in ("organisation", "location", "contact_name"):
        assert csv_cells(admin, column) == ["'" + name]


# ---------------------------------------------------------------- the data migration


def test_migration_rekeys_and_keeps_approved_look_alikes(
    app, make_statement, make_endorsement, caplog, monkeypatch
):
    monkeypatch.setenv("DOWNGRADE_BACKUP_TAKEN", "1")  # a test database, thrown away after the test
    statement = make_statement(slug="s")
    first = make_endorsement(statement, status="approved", organisation=CCHR)
    twin = make_endorsement(statement, organisation=LOOK_ALIKES["cyrillic-es"], email="twin@example.org")
    pending = make_endorsement(statement, organisation=LOOK_ALIKES["soft-hyphen"], email="p@example.org")
    twin_id, pending_id, first_id = twin.id, pending.id, first.id
    db.session.remove()
    directory = str(ROOT / "migrations")
    before = ScriptDirectory(directory).get_revision(MIGRATION).down_revision
    downgrade(directory=directory, revision=before)
    table = Endorsement.__table__
    with db.engine.begin() as connection:  # approved beside each other under the old keys
        connection.execute(table.update().where(table.c.id == twin_id).values(status="approved", position=2))
    with caplog.at_level("WARNING", logger="alembic.runtime.migration"):
        upgrade(directory=directory)  # the migration warns an operator about the pair it kept
    warning = caplog.text
    keys = {e.id: (e.organisation_key, e.status) for e in stored()}
    assert keys[first_id] == (organisation_key(CCHR), "approved")
    assert keys[pending_id] == (organisation_key(CCHR), "pending")
    assert keys[twin_id] == (organisation_key(CCHR) + f"#{twin_id}", "approved")
    assert f"endorsement {twin_id} ('{LOOK_ALIKES['cyrillic-es']}') on statement" in warning
    assert f"looks like endorsement {first_id} ('{CCHR}')" in warning
