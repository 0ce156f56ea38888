"""Sign-ons that look like abuse are kept for review, and every sign-on is answered alike:
the form timer (this reader's, current, used once), the review and flood limits, and
forms sent from other sites."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

import domain.spam
from extensions import db
from models import Endorsement, OutboxMail, now_utc
from tests.helpers import VALID, csrf_from, hidden_fields, parse, sign, text_of


@pytest.fixture
def clock(monkeypatch):
    """The spam checks' clock, moved by hand: `clock.advance(seconds)`."""

    class Clock:
        offset = timedelta()

        def advance(self, seconds: float) -> None:
            self.offset += timedelta(seconds=seconds)

    moved = Clock()
    monkeypatch.setattr(domain.spam, "now_utc", lambda: now_utc() + moved.offset)
    return moved


@pytest.fixture
def timed(app):
    app.config["SIGNON_MIN_SECONDS"] = 3
    return app


def stored() -> list[tuple[str, str, str | None]]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(Endorsement.organisation, Endorsement.status, Endorsement.suspicion))
    return sorted(tuple(row) for row in rows)


def form_of(client, slug="s") -> dict:
    return hidden_fields(client.get(f"/statements/{slug}/sign"), f"/statements/{slug}/sign")


def post(client, fields: dict, **changes):
    return client.post("/statements/s/sign", data={**VALID, **fields, **changes})


def test_the_honeypot_lands_in_suspected_and_sends_no_mail(client, statement):
    response = sign(client, homepage="http://spam.example")
    assert response.status_code == 303 and response.headers["Location"].endswith("/thanks")
    assert stored() == [("Mekong Fishers Network", "suspected", "honeypot field filled in")]
    assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 0


def test_too_fast_lands_in_suspected(timed, client, statement, clock):
    timed.config["SIGNON_MIN_SECONDS"] = 60  # far above what a loaded test machine needs between GET and POST
    fields = form_of(client)
    clock.advance(1)
    assert post(client, fields).status_code == 303
    ((_, status, reason),) = stored()
    assert (
        status == "suspected"
        and reason.startswith("sent ")
        and reason.endswith(" s after the form was shown")
    )


def test_a_forged_timer_lands_in_suspected(timed, client, statement, clock):
    fields = form_of(client)
    clock.advance(5)
    assert post(client, fields, shown_at="forged").status_code == 303
    assert stored() == [("Mekong Fishers Network", "suspected", "form timer missing or altered")]


def test_slow_enough_is_accepted(timed, client, statement, clock):
    fields = form_of(client)
    clock.advance(5)
    assert post(client, fields).status_code == 303
    assert stored() == [("Mekong Fishers Network", "unconfirmed", None)]


def test_a_timer_from_another_browser_lands_in_suspected(timed, app, client, statement, clock):
    """A script fetches one form and sends its timer from many sessions: it is tied to the reader."""
    fetched = form_of(client)
    other = app.test_client()
    clock.advance(5)
    response = other.post(
        "/statements/s/sign", data={**VALID, **form_of(other), "shown_at": fetched["shown_at"]}
    )
    assert response.status_code == 303
    assert stored() == [("Mekong Fishers Network", "suspected", "form timer made for another browser")]


def test_an_expired_timer_lands_in_suspected(timed, client, statement, clock):
    fields = form_of(client)
    clock.advance(25 * 3600)
    assert post(client, fields).status_code == 303
    assert stored() == [
        ("Mekong Fishers Network", "suspected", "form shown more than a day before it was sent")
    ]


def test_a_replayed_timer_lands_in_suspected_but_the_same_form_sent_again_does_not(
    timed, client, statement, clock
):
    fields = form_of(client)
    clock.advance(5)
    for n in range(3):
        assert (
            post(client, fields, organisation=f"Replay Org {n}", email=f"r{n}@example.org").status_code == 303
        )
    assert post(client, fields, organisation="Replay Org 0", email="r0@example.org").status_code == 303
    assert stored() == [
        ("Replay Org 0", "unconfirmed", None),
        ("Replay Org 1", "suspected", "form timer already used for another sign-on"),
        ("Replay Org 2", "suspected", "form timer already used for another sign-on"),
    ]
    repeats = db.session.scalars(sa.select(OutboxMail.kind).where(OutboxMail.recipient == "r0@example.org"))
    assert sorted(repeats) == ["confirm_endorsement", "repeat_signon"]  # sent again: a repeat, mailed


def test_a_form_shown_again_after_an_error_keeps_its_first_time_and_the_page_tells_the_truth(
    timed, client, statement, clock
):
    """Issue 15.1: sent without the tick, fixed and sent again 2.7 s later, it was suspected
    because the form shown again got a new timer; and the page said a mail was sent."""
    fields = form_of(client)
    clock.advance(1)
    refused = post(client, fields, authorised="")
    assert refused.status_code == 422
    assert hidden_fields(refused)["shown_at"] == fields["shown_at"]
    clock.advance(2.7)
    sent = post(client, hidden_fields(refused))
    assert stored() == [("Mekong Fishers Network", "unconfirmed", None)]
    thanks = text_of(client.get(sent.headers["Location"]))
    assert "We are sending an email to sophea@example.org" in thanks
    assert "within 7 days" in thanks and "spam" in thanks


def test_a_suspected_sign_on_is_not_told_a_mail_was_sent(client, statement):
    thanks = text_of(client.get(sign(client, homepage="bot").headers["Location"]))
    assert "sending an email" not in thanks and "A moderator will check it" in thanks


def test_the_queue_says_how_many_are_suspected(client, statement, moderator_client):
    sign(client, homepage="bot")
    sign(client, organisation="Other Bot", email="b@example.org", homepage="bot")
    assert "2 set aside as suspected, to review" in text_of(client.get("/moderation/"))


def test_above_the_review_limit_sign_ons_are_kept_for_review_and_answered_alike(limited_client, statement):
    """Issue 15.9: a coordinator signing for member groups from one office is not turned away."""
    limited_client.application.config["SIGNON_REVIEW_LIMIT"] = "3/hour"
    answers = [
        sign(limited_client, organisation=f"Member Group {n}", email=f"m{n}@example.org") for n in range(5)
    ]
    assert [answer.status_code for answer in answers] == [303] * 5
    assert [status for _, status, _ in stored()] == ["unconfirmed"] * 3 + ["suspected"] * 2
    assert {reason for *_, reason in stored()} == {None, "many sign-ons from one address"}


def test_a_flood_gets_429_with_what_was_typed_kept_and_when_to_retry(limited_client, statement):
    limited_client.application.config["SIGNON_RATE_LIMIT"] = "4/minute"
    codes = [
        sign(limited_client, organisation=f"Org {n}", email=f"c{n}@example.org").status_code for n in range(4)
    ]
    refused = sign(limited_client, organisation="The Fifth Org", email="fifth@example.org")
    assert codes == [303] * 4 and refused.status_code == 429
    page = parse(refused)
    assert page.find("input", attrs={"name": "organisation"})["value"] == "The Fifth Org"
    assert "Please send it again in 1 minute" in text_of(refused)
    assert "Retry-After" in refused.headers
    assert len(stored()) == 4


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}],
    ids=["origin", "sec-fetch-site", "null-origin"],
)
def test_a_post_from_another_site_is_refused_even_with_a_token(client, statement, headers):
    fields = form_of(client)
    response = client.post("/statements/s/sign", data={**VALID, **fields}, headers=headers)
    assert response.status_code == 403 and "sent from another website" in text_of(response)
    assert stored() == []


def test_a_post_without_a_token_is_refused(client, statement):
    response = client.post("/statements/s/sign", data=VALID, headers={"Origin": "http://localhost"})
    assert response.status_code == 400 and "Please reload the page" in text_of(response)
    assert stored() == []


def test_the_statement_page_is_the_same_for_every_anonymous_reader(app, client, statement):
    first, second = client.get("/statements/s"), app.test_client().get("/statements/s")
    assert first.get_data() == second.get_data() and "Set-Cookie" not in first.headers
    assert first.headers["Cache-Control"] == "public, max-age=0, s-maxage=10"
    assert parse(first).find("form", attrs={"method": "post"}) is None  # no per-reader form on it
    assert csrf_from(client.get("/statements/s/sign"))  # the form page has the reader's own


def test_an_error_after_the_sign_on_was_stored_says_it_was_recorded(app, client, statement, monkeypatch):
    import views.public

    def broken(*args, **kwargs):
        raise RuntimeError("the answer could not be made")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(views.public, "redirect", broken)  # fails after the commit
    response = sign(client)
    assert response.status_code == 500
    assert "your endorsement was recorded: please do not send it again" in text_of(response)
    assert stored() == [("Mekong Fishers Network", "unconfirmed", None)]


def test_an_error_before_the_sign_on_was_stored_says_to_send_it_again(app, client, statement):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    fields = form_of(client)
    with db.engine.begin() as connection:  # the database refuses the write
        connection.execute(sa.text("ALTER TABLE signon_intake RENAME TO signon_intake_away"))
    try:
        response = post(client, fields)
    finally:
        with db.engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE signon_intake_away RENAME TO signon_intake"))
    assert response.status_code == 500
    assert "your endorsement was not recorded. Please send the form again" in text_of(response)
    assert post(client, fields).status_code == 303  # and sending it again works
    assert stored() == [("Mekong Fishers Network", "unconfirmed", None)]
