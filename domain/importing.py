"""Bringing a coalition's own list (a Google Forms export, a hand-made sheet) into a statement's
moderation queue: `import_endorsements`, called by `flask endorsements import` and the admin page.

Every row is checked by the sign-on form itself (`forms.importing.ImportRowForm`), so the
rules for names are the same as at sign-on, today and after they change. A file with any
invalid row is refused whole. The "authorised" tick is not asked for: the organiser who
imports the list vouches for it, so each row is stored as authorised, and the audit trail
says who imported which file. Nothing is mailed unless the organiser asks.
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from domain import RuleError
from domain.audit import record
from domain.duplicates import possible_duplicates
from domain.endorsements import add_imported
from domain.import_columns import (
    FIELDS,
    SUBMITTED_AT,
    date_order,
    is_yes,
    parse_timestamp,
    time_zone,
)
from domain.labels import IMPORTED_FROM as SOURCE_PREFIX
from domain.spreadsheet import Sheet
from extensions import db
from forms.hygiene import KHMER_LETTER
from forms.importing import ImportRowForm
from models import Endorsement, Statement, StatementStatus
from models.endorsement import organisation_key

SOURCE_LENGTH = 200
# What the preview and the report show of each row, in this order.
SHOWN = (*FIELDS, SUBMITTED_AT, "language", "status")


@dataclass
class ImportOptions:
    date_order: str = "auto"
    time_zone: str = "UTC"
    ask_to_confirm: bool = False


@dataclass
class Problem:
    """Why a row cannot be imported: its line in the file, the column, the sign-on form's words."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return _(
            "Line %(line)d, “%(column)s”: %(problem)s",
            line=self.line,
            column=self.column,
            problem=self.message,
        )


@dataclass
class Row:
    """A checked row: the sign-on form's data, plus what the file says about when and in what language."""

    line: int
    data: dict
    submitted_at: datetime | None

    @property
    def pair(self) -> tuple[str, str]:
        """Same organisation and same address: the same endorsement."""
        return self.data["organisation_key"], (self.data.get("email") or "").lower()

    @property
    def name(self) -> str:
        return " ".join(filter(None, (self.data["organisation"], self.data.get("acronym"))))


@dataclass
class ImportReport:
    file: str
    headers: list[str]
    mapping: dict[str, int]
    date_order: str | None = None
    date_order_guessed: bool = False
    problems: list[Problem] = field(default_factory=list)
    # Each added row as stored: {field: value} for SHOWN, plus "line" and "duplicates".
    added: list[dict] = field(default_factory=list)
    # (line, name, the earlier line of the file it repeats, or None if already on the statement)
    skipped: list[tuple[int, str, int | None]] = field(default_factory=list)
    mails: int = 0
    stored: bool = False

    @property
    def ignored_columns(self) -> list[str]:
        used = set(self.mapping.values())
        return [header for index, header in enumerate(self.headers) if index not in used and header]

    @property
    def duplicates(self) -> list[dict]:
        return [row for row in self.added if row["duplicates"]]


def source_of(file_name: str) -> str:
    """`import:<file name>`, the file's own name only, cut to fit the column."""
    name = PurePath(file_name.replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C") or "file"
    return (SOURCE_PREFIX + name)[:SOURCE_LENGTH]


def required_fields() -> list[str]:
    """The fields the sign-on form requires: a file needs a column for each."""
    form = ImportRowForm(formdata=None, meta={"csrf": False})
    return [name for name in FIELDS if form[name].flags.required]


def import_endorsements(
    statement: Statement,
    sheet: Sheet,
    mapping: dict[str, int],
    options: ImportOptions,
    *,
    moderator=None,
    dry_run: bool = False,
) -> ImportReport:
    """Check every row, then add the new ones to the queue; nothing is stored if any row is invalid.

    A dry run does all of it in a savepoint and rolls it back, so its report is the real one.
    Raises RuleError for a problem with the whole file (a closed statement, a missing column).
    """
    if statement.status == StatementStatus.CLOSED:
        raise RuleError(_("This statement is closed; endorsements can no longer be added."))
    _require_columns(mapping)
    report = ImportReport(file=sheet.name, headers=sheet.headers, mapping=mapping)
    rows = _check_rows(sheet, mapping, options, report)
    if report.problems:
        return report
    fresh = _without_repeats(statement, rows, report)
    savepoint = db.session.begin_nested()
    try:
        _store(statement, fresh, source_of(sheet.name), options, moderator, report)
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
        report.stored = True
    return report


def _require_columns(mapping: dict[str, int]) -> None:
    missing = [name for name in required_fields() if name not in mapping]
    if missing:
        labels = ImportRowForm(formdata=None, meta={"csrf": False})
        names = ", ".join(f"“{labels[name].label.text}” ({name})" for name in missing)
        raise RuleError(_("The file has no column for: %(fields)s. Choose its column.", fields=names))


def _check_rows(sheet: Sheet, mapping: dict[str, int], options: ImportOptions, report: ImportReport):
    zone = time_zone(options.time_zone)
    stamps = [cells[mapping[SUBMITTED_AT]] for _line, cells in sheet.rows] if SUBMITTED_AT in mapping else []
    report.date_order, report.date_order_guessed = date_order(stamps, options.date_order)
    rows = []
    for line, cells in sheet.rows:
        values = {name: cells[index] for name, index in mapping.items()}
        columns = {name: sheet.headers[index] or str(index + 1) for name, index in mapping.items()}
        row, problems = check_row(line, values, columns, report.date_order, zone)
        report.problems.extend(problems)
        rows.append(row)
    return rows


def check_row(line: int, values: dict, columns: dict, order: str, zone) -> tuple[Row, list[Problem]]:
    """One row through the sign-on form (without CSRF) and the timestamp reader."""
    formdata = MultiDict({name: values[name] for name in FIELDS if name in values and name != "anonymous"})
    if is_yes(values.get("anonymous", "")):
        formdata["anonymous"] = "y"
    form = ImportRowForm(formdata=formdata, meta={"csrf": False})
    form.validate()
    problems = [
        Problem(line, columns.get(name) or str(form[name].label.text), str(message))
        for name, messages in form.errors.items()
        for message in messages
    ]
    submitted_at = None
    if values.get(SUBMITTED_AT, "").strip():
        try:
            submitted_at = parse_timestamp(values[SUBMITTED_AT], order, zone)
        except ValueError:
            message = _("not a date and time we can read; write it like 2026-11-29 14:03:12")
            problems.append(Problem(line, columns[SUBMITTED_AT], message))
    data = {name: form[name].data for name in FIELDS}
    data["organisation_key"] = organisation_key(data["organisation"], data["location"] or None)
    data["authorised"] = True
    data["language"] = "km" if KHMER_LETTER.search(data["organisation"] or "") else "en"
    return Row(line, data, submitted_at), problems


def _without_repeats(statement: Statement, rows: list[Row], report: ImportReport) -> list[Row]:
    """Rows whose organisation and address are already on the statement (in any state: a rejected
    or withdrawn one stays so) or earlier in the file are skipped, and reported."""
    present = set(
        db.session.execute(
            sa.select(
                Endorsement.organisation_key, sa.func.lower(sa.func.coalesce(Endorsement.email, ""))
            ).where(
                Endorsement.statement_id == statement.id,
                Endorsement.organisation_key.in_({row.pair[0] for row in rows}),
            )
        )
    )
    first_line: dict[tuple[str, str], int] = {}
    fresh = []
    for row in rows:
        if row.pair in present or row.pair in first_line:
            report.skipped.append((row.line, row.name, first_line.get(row.pair)))
        else:
            first_line[row.pair] = row.line
            fresh.append(row)
    return fresh


def _store(statement, rows: list[Row], source: str, options: ImportOptions, moderator, report) -> None:
    """One audit event for the import and one per row; the report keeps plain values, which
    outlive a dry run's rollback."""
    created = []
    for row in rows:
        signon = add_imported(
            statement, row.data, source, submitted_at=row.submitted_at, ask_to_confirm=options.ask_to_confirm
        )
        after = {"source": source, "line": row.line, "status": signon.endorsement.status}
        record("import_row", moderator=moderator, endorsement=signon.endorsement, after=after)
        report.mails += signon.mail_queued
        created.append((row, signon.endorsement))
    record(
        "import",
        moderator=moderator,
        statement=statement,
        after={
            "file": source.removeprefix(SOURCE_PREFIX),
            "added": len(created),
            "skipped": len(report.skipped),
            "ask_to_confirm": options.ask_to_confirm,
        },
    )
    others = possible_duplicates([endorsement for _row, endorsement in created])
    for row, endorsement in created:
        shown = {name: getattr(endorsement, name) for name in SHOWN}
        names = [other.display_name for other in others.get(endorsement.id, [])]
        report.added.append({**shown, "line": row.line, "duplicates": names})
