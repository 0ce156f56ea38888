"""Organisers' changes to statements: creating them, and editing with a kept history."""

import difflib

import sqlalchemy as sa
from flask_babel import gettext as _

from domain import RuleError
from domain.audit import record
from domain.statements import set_status
from extensions import db
from models import Endorsement, Statement, StatementVersion

TEXT_FIELDS = ("kicker", "title", "body")
SETTINGS_FIELDS = ("slug", "published_on", "signon_deadline", "list_order", "publisher", "contact_email")


def create_statement(data: dict, moderator) -> Statement:
    if db.session.scalar(Statement.select_by_slug(data["slug"])):
        raise RuleError(_("The address /statements/%(slug)s is already taken.", slug=data["slug"]))
    statement = Statement(status=data["status"], list_version=0, version=1)
    for name in (*TEXT_FIELDS, *SETTINGS_FIELDS):
        setattr(statement, name, data.get(name))
    db.session.add(statement)
    db.session.flush()
    record("statement_create", moderator=moderator, statement=statement, after={"slug": statement.slug})
    return statement


def _has_endorsements(statement: Statement) -> bool:
    count = sa.select(sa.func.count(Endorsement.id)).where(Endorsement.statement_id == statement.id)
    return db.session.scalar(count) > 0


def update_statement(statement: Statement, data: dict, moderator) -> bool:
    """Apply an edit; once anyone has endorsed, a text change keeps the old text as a version."""
    clash = db.session.scalar(Statement.select_by_slug(data["slug"]))
    if clash is not None and clash.id != statement.id:
        raise RuleError(_("The address /statements/%(slug)s is already taken.", slug=data["slug"]))
    text_changed = any(getattr(statement, name) != data.get(name) for name in TEXT_FIELDS)
    before = {name: str(getattr(statement, name)) for name in (*TEXT_FIELDS, *SETTINGS_FIELDS)}
    if text_changed and _has_endorsements(statement):
        _keep_version(statement, moderator)
    for name in (*TEXT_FIELDS, *SETTINGS_FIELDS):
        setattr(statement, name, data.get(name))
    # A status change bumps the list version and is audited on its own.
    status_changed = set_status(statement, data["status"], moderator)
    after = {name: str(getattr(statement, name)) for name in before}
    if after == before:
        return status_changed
    if not status_changed:  # else set_status has marked the page changed already
        statement.bump_list_version()
    record(
        "statement_edit",
        moderator=moderator,
        statement=statement,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return True


def _keep_version(statement: Statement, moderator) -> None:
    db.session.add(
        StatementVersion(
            statement=statement,
            number=statement.version,
            kicker=statement.kicker,
            title=statement.title,
            body=statement.body,
            created_by_id=moderator.id if moderator else None,
        )
    )
    statement.version = statement.version + 1


def version_text(statement: Statement, number: int) -> str:
    """The whole text (kicker, title, body) as it stood at version `number`."""
    if number == statement.version:
        source = statement
    else:
        source = next((v for v in statement.versions if v.number == number), None)
        if source is None:
            raise RuleError(_("There is no version %(number)d.", number=number))
    return f"{source.kicker}\n{source.title}\n\n{source.body}"


def diff_versions(statement: Statement, old: int, new: int) -> list[tuple[str, str]]:
    """Line by line: ('+', line), ('-', line) or (' ', line), for the template to colour."""
    before = version_text(statement, old).splitlines()
    after = version_text(statement, new).splitlines()
    lines = []
    for line in difflib.unified_diff(before, after, lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        lines.append((line[:1], line[1:]) if line[:1] in "+- @" else (" ", line))
    return lines
