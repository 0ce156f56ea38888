"""Reading a statement file (Markdown with a numbered endorser list) into the database."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from email.headerregistry import Address
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from domain import RuleError
from domain.audit import record
from extensions import db
from models import (
    Endorsement,
    EndorsementStatus,
    Statement,
    StatementStatus,
    StatementTranslation,
    now_utc,
)
from models.endorsement import organisation_key

HEADING = re.compile(r"^\s*#{1,6}\s+(?P<text>.+?)\s*#*\s*$")
LIST_ITEM = re.compile(r"^\s*(?P<number>\d+)[.)]\s+(?P<text>.*?)\s*$")
TRAILING_PARENS = re.compile(r"^(?P<name>.*?)\s*\(\s*(?P<inner>[^()]*?)\s*\)\s*$")
ACRONYM = re.compile(r"^[A-Z0-9][A-Z0-9&.\-/]+$")
DATE_FORMATS = ("%d %B %Y", "%B %d, %Y", "%Y-%m-%d", "%d %b %Y")
# An optional line right after the date: `Published by: Name <contact@example.org>`.
PUBLISHED_BY = re.compile(r"^\s*published by\s*:(?P<rest>.*)$", re.I)
PUBLISHER = re.compile(r"^(?P<name>[^<>]*?)\s*(<\s*(?P<email>[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+)\s*>)?$")


# The messages about statement files (here and in import_translation) are read by whoever runs
# `flask statements import`; the command line speaks English, so they are not translated.
class StatementFileError(RuleError):
    def __init__(self, line_number: int, problem: str):
        super().__init__(f"line {line_number}: {problem}")
        self.line_number = line_number


@dataclass
class ParsedEndorser:
    organisation: str
    acronym: str | None = None
    location: str | None = None


@dataclass
class ParsedStatement:
    kicker: str
    title: str
    published_on: date
    body: str
    endorsers: list[ParsedEndorser] = field(default_factory=list)
    publisher: str | None = None
    contact_email: str | None = None


def parse_endorser(text: str) -> ParsedEndorser:
    """'Name (CCHR)' carries an acronym, 'Name (Koh Kong)' a location, 'Name' neither."""
    match = TRAILING_PARENS.match(text)
    if not match or not match.group("name"):
        return ParsedEndorser(" ".join(text.split()))
    name = " ".join(match.group("name").split())
    inner = " ".join(match.group("inner").split())
    if not inner:
        return ParsedEndorser(name)
    if ACRONYM.match(inner):
        return ParsedEndorser(name, acronym=inner)
    return ParsedEndorser(name, location=inner)


def _parse_date(text: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def parse_statement(text: str) -> ParsedStatement:
    """Split a statement file into its parts, naming the line of the first problem."""
    lines = text.splitlines()
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise StatementFileError(1, "the file is empty")
    headings = []
    while numbered and (heading := HEADING.match(numbered[0][1])):
        headings.append(heading.group("text"))
        numbered.pop(0)
    if not headings:
        raise StatementFileError(numbered[0][0], "expected a heading with the statement title")
    if not numbered:
        raise StatementFileError(len(lines), "expected a date line after the title")
    date_line_number, date_line = numbered.pop(0)
    published_on = _parse_date(date_line)
    if published_on is None:
        raise StatementFileError(
            date_line_number, f"expected a date like '27 June 2024', found {date_line.strip()!r}"
        )
    kicker, title = (headings[0], headings[-1]) if len(headings) > 1 else ("", headings[0])
    body_start, publisher, contact_email = date_line_number, None, None
    if numbered and PUBLISHED_BY.match(numbered[0][1]):
        body_start, line = numbered[0]
        publisher, contact_email = _parse_publisher(body_start, PUBLISHED_BY.match(line).group("rest"))
    body_lines, endorsers = _split_body_and_list(lines, body_start)
    body = "\n".join(body_lines).strip()
    return ParsedStatement(kicker, title, published_on, body, endorsers, publisher, contact_email)


def _parse_publisher(line_number: int, text: str) -> tuple[str | None, str | None]:
    """'CENTRAL <info@central.example>', 'CENTRAL' or '<info@central.example>'."""
    match = PUBLISHER.match(text.strip())
    if not match or not (match.group("name") or match.group("email")):
        raise StatementFileError(
            line_number, f"expected 'Published by: Name <contact@example.org>', found {text.strip()!r}"
        )
    return match.group("name") or None, match.group("email")


def _split_body_and_list(lines: list[str], date_line_number: int):
    body, endorsers, expected = [], [], 1
    for number, line in enumerate(lines[date_line_number:], start=date_line_number + 1):
        item = LIST_ITEM.match(line)
        if not endorsers and not item:
            body.append(line)
            continue
        if not line.strip():
            continue
        if not item:
            raise StatementFileError(
                number,
                f"expected a numbered endorser like '{expected}. Name (ACRONYM)', found {line.strip()!r}",
            )
        if int(item.group("number")) != expected:
            raise StatementFileError(
                number, f"expected endorser number {expected}, found {item.group('number')}"
            )
        if not item.group("text"):
            raise StatementFileError(number, "the endorser has no name")
        endorsers.append(parse_endorser(item.group("text")))
        expected += 1
    return body, endorsers


def slug_from_path(path: Path) -> str:
    """'2024-06-27-stop-reprisals.md' → 'stop-reprisals'."""
    return re.sub(r"^\d{4}-\d{2}-\d{2}-", "", path.stem)


def import_statement(path: Path, slug: str | None = None) -> tuple[Statement, int]:
    """Create or update the statement and add endorsers not yet on it; safe to repeat."""
    parsed = parse_statement(Path(path).read_text(encoding="utf-8"))
    slug = slug or slug_from_path(Path(path))
    statement = db.session.scalar(Statement.select_by_slug(slug))
    if statement is None:
        statement = Statement(slug=slug, status=StatementStatus.OPEN, list_version=0)
        db.session.add(statement)
    fields = ("kicker", "title", "published_on", "body")
    if parsed.publisher or parsed.contact_email:  # without the line, what an admin set stays
        fields += ("publisher", "contact_email")
    for name in fields:
        if getattr(statement, name) != getattr(parsed, name):
            setattr(statement, name, getattr(parsed, name))
    db.session.flush()
    added = _add_missing_endorsers(statement, parsed.endorsers)
    if added:
        statement.bump_list_version()
        record("import", statement=statement, after={"added": added, "file": Path(path).name})
    return statement, added


def import_translation(path: Path, slug: str, language: str) -> tuple[StatementTranslation, bool, int]:
    """Set the statement's text in another language from a statement file; safe to repeat.

    Returns the translation, whether it changed, and how many list entries the file had:
    those are ignored, because every language version shares the statement's one list.
    """
    parsed = parse_statement(Path(path).read_text(encoding="utf-8"))
    statement = db.session.scalar(Statement.select_by_slug(slug))
    if statement is None:
        raise RuleError(f"there is no statement {slug!r} to translate; import the statement first")
    if language == statement.language:
        raise RuleError(f"{language!r} is the statement's own language; import the file without a language")
    if statement.published_on and parsed.published_on != statement.published_on:
        raise RuleError(
            f"the file is dated {parsed.published_on.isoformat()}, the statement "
            f"{statement.published_on.isoformat()}; is it a translation of another statement?"
        )
    translation = next((t for t in statement.translations if t.language == language), None)
    if translation is None:
        translation = StatementTranslation(statement=statement, language=language)
        db.session.add(translation)
    changed = False
    for name in ("kicker", "title", "body"):
        if getattr(translation, name) != getattr(parsed, name):
            setattr(translation, name, getattr(parsed, name))
            changed = True
    if changed:
        statement.bump_list_version()  # every cached page links to the language versions it has
        record(
            "import_translation",
            statement=statement,
            after={"language": language, "file": Path(path).name},
        )
    db.session.flush()
    return translation, changed, len(parsed.endorsers)


@dataclass
class StatementText:
    """The kicker, title and body a reader sees, and the language they are in."""

    language: str
    kicker: str
    title: str
    body: str
    updated_at: datetime | None


def text_in(statement: Statement, language: str) -> StatementText:
    """The statement in `language` when it exists there, else in its own language."""
    source = statement
    if language != statement.language:
        source = next((t for t in statement.translations if t.language == language), statement)
    return StatementText(
        language=source.language or "en",
        kicker=source.kicker or "",
        title=source.title,
        body=source.body or "",
        updated_at=source.updated_at,
    )


@dataclass(frozen=True)
class Organisers:
    """Who publishes a statement and how to reach them."""

    name: str
    email: str

    @property
    def reply_to(self) -> str | None:
        """The Reply-To of mail to endorsers: 'Name <address>', quoted as the name needs."""
        if not self.email:
            return None
        local, _at, domain = self.email.rpartition("@")
        return str(Address(display_name=self.name, username=local, domain=domain))


def organisers_of(statement: Statement | None) -> Organisers:
    """The statement's own publisher and contact, each falling back to ORGANISER_NAME / ORGANISER_EMAIL."""
    config = current_app.config
    return Organisers(
        name=(statement and statement.publisher) or config["ORGANISER_NAME"],
        email=(statement and statement.contact_email) or config["ORGANISER_EMAIL"],
    )


def languages_of(statement: Statement) -> list[str]:
    """Every language the statement can be read in, its own first."""
    own = statement.language or "en"
    return [own] + sorted({t.language for t in statement.translations} - {own})


def _add_missing_endorsers(statement: Statement, endorsers: list[ParsedEndorser]) -> int:
    known = set(
        db.session.scalars(
            db.select(Endorsement.organisation_key).where(Endorsement.statement_id == statement.id)
        )
    )
    position = db.session.scalar(Endorsement.next_position(statement.id))
    added = 0
    for endorser in endorsers:
        key = organisation_key(endorser.organisation, endorser.location)
        if key in known:
            continue
        known.add(key)
        db.session.add(
            Endorsement(
                statement=statement,
                organisation=endorser.organisation,
                acronym=endorser.acronym,
                location=endorser.location,
                organisation_key=key,
                status=EndorsementStatus.APPROVED,
                position=position,
                source="import",
                authorised=True,
            )
        )
        position += 1
        added += 1
    return added


def set_status(statement: Statement, status: str, moderator=None) -> bool:
    """Closing records when, which starts the clock for purging contact data; False if unchanged."""
    if status not in set(StatementStatus):
        raise RuleError(_("There is no status %(status)s.", status=repr(status)))
    if status == statement.status:
        return False
    before = statement.status
    statement.status = StatementStatus(status)
    statement.closed_at = now_utc() if status == StatementStatus.CLOSED else None
    statement.bump_list_version()
    record(
        "statement_status",
        moderator=moderator,
        statement=statement,
        before={"status": before},
        after={"status": status},
    )
    return True
