"""Issue 15.3: a correction of the name is a proposal. The published name stays until a
moderator, who sees old and new side by side, accepts it; the endorser is told either way."""

import pytest

from domain.tokens import make_token
from extensions import db
from models import CorrectionOutcome, Endorsement, NameCorrection
from tests.helpers import csrf_from, events, list_items, outbox_mails, parse, post_button, text_of

PREY_LANG_KM = "សហគមន៍ការពារព្រៃឡង់"


@pytest.fixture
def published(shared_statement, make_endorsement):
    """The 44th organisation on the shared statement, approved, and its personal link."""
    endorsement = make_endorsement(
        shared_statement, status="approved", organisation="Prey Lang Community", location="Kratie"
    )
    return endorsement, f"/manage/{make_token(endorsement.id, 'manage')}"


def ask_for_correction(client, path: str, **fields):
    data = {"organisation": "Prey Lang Community", "location": "Kratie", **fields}
    return client.post(f"{path}/correct", data={**data, "csrf_token": csrf_from(client.get(path))})


def public_list(client, endorsement) -> list[str]:
    return list_items(client.get(f"/statements/{endorsement.statement.slug}"))


def test_asking_keeps_the_published_name_and_tells_the_endorser_so(client, published, make_moderator):
    endorsement, path = published
    make_moderator(email="notified@example.org").notify_new_endorsements = True
    db.session.commit()
    response = ask_for_correction(client, path, organisation_km=PREY_LANG_KM, note="our Khmer name")
    assert response.status_code == 303
    assert "until then the list shows the name as it is" in text_of(client.get(path))
    names = public_list(client, endorsement)
    assert len(names) == 44 and names[-1] == "Prey Lang Community (Kratie)"  # still listed, unchanged
    db.session.expire_all()
    assert db.session.get(Endorsement, endorsement.id).status == "approved"
    (mail,) = outbox_mails("moderator_correction")
    assert mail.recipient == "notified@example.org" and "keeps the name as it is" in mail.body


def test_the_moderator_sees_old_and_new_side_by_side_and_accepts(client, published, moderator_client):
    endorsement, path = published
    ask_for_correction(client, path, organisation_km=PREY_LANG_KM)
    queue = text_of(client.get("/moderation/"))
    assert "1 name correction to decide" in queue
    page = parse(client.get("/moderation/corrections/"))
    assert [row.th.get_text(strip=True) for row in page.select("tr.changed")] == ["Name in Khmer script"]
    for hidden in page.select(".visually-hidden"):  # "(changed)", for screen readers
        hidden.decompose()
    rows = {
        row.th.get_text(strip=True): [cell.get_text(strip=True) for cell in row.find_all("td")]
        for row in page.select("table.side-by-side tbody tr")
    }
    assert rows["Name in Khmer script"] == ["—", PREY_LANG_KM] and rows["Location"] == ["Kratie", "Kratie"]
    correction = db.session.scalars(NameCorrection.select_waiting()).one()
    accepted = post_button(
        client, f"/moderation/corrections/{correction.id}/accept", page="/moderation/corrections/"
    )
    assert accepted.status_code == 302
    names = public_list(client, endorsement)
    assert len(names) == 44 and names[-1] == f"Prey Lang Community ({PREY_LANG_KM}) (Kratie)"
    (mail,) = outbox_mails("correction_accepted")
    assert mail.recipient == "dara@example.org" and PREY_LANG_KM in mail.body
    assert [event.action for event in events()][-2:] == ["edit", "correction_accepted"]
    assert "No correction waits for a decision." in text_of(client.get("/moderation/corrections/"))


def test_a_declined_correction_leaves_the_name_and_tells_the_endorser_why(
    client, published, moderator_client
):
    endorsement, path = published
    ask_for_correction(client, path, organisation="Prey Lang Community Network")
    correction = db.session.scalars(NameCorrection.select_waiting()).one()
    detail = f"/moderation/endorsements/{endorsement.id}"
    assert "The endorser asks for a correction of the name" in text_of(client.get(detail))
    declined = post_button(
        client,
        f"/moderation/corrections/{correction.id}/decline",
        page=detail,
        reason="Not the registered name.",
    )
    assert declined.status_code == 302
    assert public_list(client, endorsement)[-1] == "Prey Lang Community (Kratie)"
    (mail,) = outbox_mails("correction_declined")
    assert "Not the registered name." in mail.body and "Prey Lang Community (Kratie)" in mail.body
    again = post_button(client, f"/moderation/corrections/{correction.id}/accept", page=detail)
    assert again.status_code == 302
    assert "already decided" in text_of(client.get(detail))
    db.session.expire_all()
    assert db.session.get(NameCorrection, correction.id).status == CorrectionOutcome.DECLINED


def test_asking_again_replaces_the_waiting_request(client, published):
    endorsement, path = published
    ask_for_correction(client, path, acronym="PLC")
    ask_for_correction(client, path, acronym="PLCN")
    db.session.expire_all()
    statuses = [
        (c.proposed["acronym"], c.status) for c in db.session.get(Endorsement, endorsement.id).corrections
    ]
    assert statuses == [("PLC", "replaced"), ("PLCN", "waiting")]


def test_asking_for_the_name_as_it_is_shown_changes_nothing_and_says_so(client, published):
    _, path = published
    response = ask_for_correction(client, path)
    assert response.status_code == 303
    assert "there is nothing to correct" in text_of(client.get(path))
    assert db.session.scalars(NameCorrection.select_waiting()).all() == []


def test_only_moderators_decide_corrections(client, published):
    _, path = published
    ask_for_correction(client, path, acronym="PLC")
    correction = db.session.scalars(NameCorrection.select_waiting()).one()
    token = csrf_from(client.get("/login"))
    response = client.post(f"/moderation/corrections/{correction.id}/accept", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(NameCorrection, correction.id).is_waiting
