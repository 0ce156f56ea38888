"""A fresh install has a few common rejection reasons to pick from (seeded by `make run` and
`make serve` through `flask reasons seed`), in English and Khmer; an admin's list is left alone."""

import sqlalchemy as sa

from domain.reasons import DEFAULT_REASONS
from extensions import db
from models import RejectionReason
from tests.helpers import ROOT, csrf_from, parse


def reason_texts() -> list[str]:
    db.session.expire_all()
    return db.session.scalars(sa.select(RejectionReason.text).order_by(RejectionReason.id)).all()


def test_a_fresh_install_gets_the_common_reasons(runner):
    result = runner.invoke(args=["reasons", "seed"])
    assert result.exit_code == 0, result.output
    assert "5 rejection reason(s) added" in result.output
    assert reason_texts() == list(DEFAULT_REASONS)
    assert all(" / " in text and len(text) <= 300 for text in reason_texts())


def test_seeding_again_adds_nothing(runner):
    runner.invoke(args=["reasons", "seed"])
    result = runner.invoke(args=["reasons", "seed"])
    assert "none added" in result.output
    assert len(reason_texts()) == len(DEFAULT_REASONS)


def test_a_list_an_admin_made_is_left_alone(runner):
    db.session.add(RejectionReason(text="Our own reason", active=False))
    db.session.commit()
    runner.invoke(args=["reasons", "seed"])
    assert reason_texts() == ["Our own reason"]  # even retired, it is the admin's list


def test_moderators_pick_the_seeded_reasons_when_rejecting(
    runner, moderator_client, make_statement, make_endorsement
):
    runner.invoke(args=["reasons", "seed"])
    endorsement = make_endorsement(make_statement(slug="s"))
    page = parse(moderator_client.get(f"/moderation/endorsements/{endorsement.id}"))
    choices = [option["value"] for option in page.find("select", id="reason_choice").find_all("option")]
    assert set(DEFAULT_REASONS) <= set(choices)


def test_make_run_and_serve_seed_them():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run", "serve"):
        recipe = makefile.split(f"\n{target}: ", 1)[1].split("\n\n", 1)[0]
        assert "$(FLASK) reasons seed" in recipe, target


def test_an_admin_retires_and_restores_a_reason_and_the_audit_log_keeps_both(admin_client):
    from models import ModerationEvent

    page = admin_client.get("/moderation/admin/reasons")
    admin_client.post(
        "/moderation/admin/reasons", data={"csrf_token": csrf_from(page), "text": "Not an organisation"}
    )
    reason = db.session.scalar(
        sa.select(RejectionReason).where(RejectionReason.text == "Not an organisation")
    )
    for turn in range(2):
        page = admin_client.get("/moderation/admin/reasons")
        admin_client.post(
            f"/moderation/admin/reasons/{reason.id}/toggle", data={"csrf_token": csrf_from(page)}
        )
        db.session.expire_all()
        assert reason.active is (turn == 1)
    actions = db.session.scalars(sa.select(ModerationEvent.action).order_by(ModerationEvent.id)).all()
    assert actions[-3:] == ["reason_add", "reason_retire", "reason_restore"]


def test_a_toggle_without_a_valid_form_changes_nothing_and_says_so(admin_client):
    db.session.add(RejectionReason(text="Duplicate"))
    db.session.commit()
    reason = db.session.scalar(sa.select(RejectionReason))
    response = admin_client.post(f"/moderation/admin/reasons/{reason.id}/toggle", follow_redirects=True)
    db.session.expire_all()
    assert reason.active
    assert "This form has expired" in response.get_data(as_text=True)
