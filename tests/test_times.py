"""Times are stored in UTC and shown in TIMEZONE (UTC by default), always with the zone named,
inside a <time> whose datetime a machine reads."""

from datetime import datetime

import pytest

from app import ConfigError, create_app
from extensions import db
from models import OutboxMail, Role, Statement
from tests.helpers import hidden_fields, parse

SUBMITTED = datetime(2026, 11, 28, 15, 22)  # UTC, as stored


@pytest.fixture
def admin_client(client, auth, make_moderator):
    make_moderator(email="admin@example.org", role=Role.ADMIN)
    auth.login("admin@example.org")
    return client


@pytest.fixture
def submitted(make_statement, make_endorsement):
    return make_endorsement(make_statement(slug="s"), submitted_at=SUBMITTED)


def shown_times(page) -> list[tuple[str, str]]:
    return [(time["datetime"], time.get_text()) for time in parse(page).find_all("time")]


def test_times_are_utc_by_default_and_say_so(admin_client, submitted):
    times = shown_times(admin_client.get("/moderation/"))
    assert ("2026-11-28T15:22:00Z", "28 Nov 2026, 15:22 UTC") in times


class TestInPhnomPenh:
    @pytest.fixture
    def app_config(self):
        return {"TIMEZONE": "Asia/Phnom_Penh"}

    def test_the_queue_and_the_detail_show_local_time_with_the_zone(self, admin_client, submitted):
        for path in ("/moderation/", f"/moderation/endorsements/{submitted.id}"):
            assert ("2026-11-28T15:22:00Z", "28 Nov 2026, 22:22 +0700") in shown_times(admin_client.get(path))

    def test_the_outbox_shows_local_time_with_the_zone(self, admin_client):
        mail = OutboxMail(kind="confirm_endorsement", recipient="a@example.org", subject="s", body="b")
        mail.created_at = SUBMITTED
        db.session.add(mail)
        db.session.commit()
        assert ("2026-11-28T15:22:00Z", "28 Nov 2026, 22:22 +0700") in shown_times(
            admin_client.get("/moderation/outbox")
        )

    def test_a_deadline_is_typed_in_local_time_and_stored_in_utc(self, admin_client, make_statement):
        statement = make_statement(slug="s", signon_deadline=datetime(2026, 12, 31, 10, 0))
        path = f"/moderation/admin/statements/{statement.id}/edit"
        page = parse(admin_client.get(path))
        assert page.find("label", attrs={"for": "signon_deadline"}).get_text() == (
            "Sign-on deadline (Asia/Phnom_Penh)"
        )
        assert page.find("input", id="signon_deadline")["value"] == "2026-12-31T17:00"

        fields = {
            field["name"]: field.get("value", "")
            for field in page.find("form").find_all(["input", "select"])
            if field.get("name") and field.get("type") not in ("submit", "checkbox")
        }
        fields.update(
            hidden_fields(admin_client.get(path)),
            body="We call.",
            status="open",
            list_order="published",
            signon_deadline="2027-01-01T09:30",
        )
        assert admin_client.post(path, data=fields).status_code == 302
        db.session.expire_all()
        assert db.session.get(Statement, statement.id).signon_deadline == datetime(2027, 1, 1, 2, 30)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Asia/Phnom Penh", "../etc/passwd"])
def test_an_unknown_zone_stops_the_app_at_start(database_url, zone):
    with pytest.raises(ConfigError, match="TIMEZONE"):
        create_app({"TESTING": True, "DATABASE_URL": database_url, "TIMEZONE": zone})
