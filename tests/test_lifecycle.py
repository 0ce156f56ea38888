"""One state machine: every status change goes through the transition table, and the
database refuses a status that is not one of ours."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from domain import RuleError
from domain.corrections import request_correction
from domain.endorsements import approve, confirm, reject, withdraw
from extensions import db
from models import Endorsement, EndorsementStatus, TransitionRefused
from models.endorsement import TRANSITIONS

ALL_MOVES = [(event, status) for event in TRANSITIONS for status in EndorsementStatus]
DISALLOWED = [(event, status) for event, status in ALL_MOVES if status not in TRANSITIONS[event]]
OPERATIONS = {
    "confirm": lambda endorsement, moderator: confirm(endorsement),
    "approve": approve,
    "reject": reject,
    "withdraw": lambda endorsement, moderator: withdraw(endorsement, moderator),
    "request_correction": lambda endorsement, moderator: request_correction(
        endorsement, {"organisation": "Renamed Org"}
    ),
}


def test_the_table_names_only_real_statuses_and_every_operation():
    assert set(TRANSITIONS) == set(OPERATIONS)
    for moves in TRANSITIONS.values():
        assert set(moves) | set(moves.values()) <= set(EndorsementStatus)
    assert DISALLOWED  # the table refuses something, or this file tests nothing


@pytest.mark.parametrize(("event", "status"), DISALLOWED)
def test_every_disallowed_transition_is_refused_and_changes_nothing(
    event, status, make_statement, make_endorsement, make_moderator
):
    statement = make_statement()
    endorsement = make_endorsement(statement, status=status, confirmed_at=None)
    with pytest.raises(TransitionRefused):
        endorsement.move(event)
    with pytest.raises(RuleError, match="This endorsement is|Only a pending endorsement"):
        OPERATIONS[event](endorsement, make_moderator())
    db.session.rollback()
    assert db.session.get(Endorsement, endorsement.id).status == status


@pytest.mark.parametrize(("event", "status"), [move for move in ALL_MOVES if move not in DISALLOWED])
def test_every_allowed_transition_lands_where_the_table_says(
    event, status, make_statement, make_endorsement, make_moderator
):
    statement = make_statement()
    endorsement = make_endorsement(statement, status=status, confirmed_at=None)
    OPERATIONS[event](endorsement, make_moderator())
    db.session.commit()
    assert db.session.get(Endorsement, endorsement.id).status == TRANSITIONS[event][status]


def test_the_database_refuses_a_status_that_is_not_ours(make_statement, make_endorsement):
    endorsement = make_endorsement(make_statement())
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.text("UPDATE endorsements SET status = 'published' WHERE id = :id"), {"id": endorsement.id}
        )
    db.session.rollback()
    endorsement.status = "published"
    with pytest.raises(StatementError):  # the enum type refuses it before SQL is sent
        db.session.flush()
    db.session.rollback()
