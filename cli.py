"""Command-line tools: `flask --app app statements ...`, `endorsements import`, `moderators ...`."""

import logging
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_migrate import upgrade

import backups
from domain import RuleError
from domain.import_columns import ORDERS, TARGETS, apply_overrides, recognise
from domain.importing import ImportOptions, ImportReport, import_endorsements
from domain.intake import process_signons
from domain.outbox import Sender
from domain.outbox_worker import run_worker, stop_on_signals
from domain.reasons import seed_default_reasons
from domain.retention import purge_contact_data
from domain.spreadsheet import DELIMITER_NAMES, Sheet, read_spreadsheet
from domain.statements import import_statement, import_translation, set_status
from extensions import db
from models import Moderator, OutboxMail, Role, Statement, StatementStatus

statements_cli = AppGroup("statements", help="Import and list statements.")
moderators_cli = AppGroup("moderators", help="Manage moderator accounts.")
outbox_cli = AppGroup("outbox", help="Deliver queued mail.")
endorsements_cli = AppGroup("endorsements", help="Bring in endorsements collected elsewhere.")
retention_cli = AppGroup("retention", help="Erase contact data that is no longer needed.")
reasons_cli = AppGroup("reasons", help="The rejection reasons moderators pick from.")


@statements_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option("--slug", help="Address of the statement (default: file name without its date).")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database has any statement.")
@click.option(
    "--translation-of",
    metavar="SLUG",
    help="Read PATH as the text of the existing statement SLUG in another language (needs --language). "
    "Its kicker, title, date and body are read as in any statement file; the date must be the "
    "statement's. A numbered list in it is ignored: every language version shares one list.",
)
@click.option("--language", metavar="CODE", help="The language of a --translation-of file, e.g. km.")
def import_command(
    path: Path | None, slug: str | None, if_empty: bool, translation_of: str | None, language: str | None
):
    """Import a statement file (Markdown with a numbered endorser list) or its translation; safe to repeat."""
    if translation_of or language:
        _import_translation(path, translation_of, language, slug, if_empty)
        return
    if if_empty and db.session.scalar(sa.select(sa.func.count(Statement.id))):
        click.echo("The database already has statements; nothing imported.")
        return
    path = path or Path(current_app.root_path) / current_app.config["DEFAULT_STATEMENT_FILE"]
    try:
        statement, added = import_statement(path, slug)
        db.session.commit()
    except RuleError as error:
        db.session.rollback()
        raise click.ClickException(f"{path}: {error}. Nothing was imported.") from error
    click.echo(f"{statement.slug}: {added} endorsement(s) added.")


def _import_translation(path, translation_of, language, slug, if_empty) -> None:
    if not (path and translation_of and language):
        raise click.UsageError("A translation needs PATH, --translation-of SLUG and --language CODE.")
    if slug or if_empty:
        raise click.UsageError("--slug and --if-empty do not apply to a translation.")
    languages = current_app.config["LANGUAGES"]
    if language not in languages:
        raise click.BadParameter(f"use one of {', '.join(languages)}", param_hint="--language")
    try:
        translation, changed, ignored = import_translation(path, translation_of, language)
        db.session.commit()
    except RuleError as error:
        db.session.rollback()
        raise click.ClickException(f"{path}: {error}. Nothing was imported.") from error
    click.echo(f"{translation_of} [{language}]: {'text updated' if changed else 'already up to date'}.")
    if ignored:
        click.echo(f"The file's list of {ignored} endorser(s) was ignored: all languages share one list.")


@endorsements_cli.command("import")
@click.argument("slug")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "overrides",
    multiple=True,
    metavar="FIELD=HEADER",
    help="Fill FIELD from the column HEADER (repeatable); FIELD= leaves a field out. Fields: "
    + ", ".join(TARGETS)
    + ".",
)
@click.option("--dry-run", is_flag=True, help="Check and report; store nothing.")
@click.option("--ask-to-confirm", is_flag=True, help="Mail each contact the usual request to confirm.")
@click.option(
    "--encoding",
    help="Text encoding of a CSV file (default: its byte-order mark, else UTF-8, else windows-1252).",
)
@click.option(
    "--date-order", type=click.Choice(ORDERS), default="auto", help="How dates like 03/04/2026 are written."
)
@click.option(
    "--timezone",
    "zone",
    default="UTC",
    show_default=True,
    help="Time zone of the timestamps, e.g. Asia/Phnom_Penh.",
)
def import_endorsements_command(slug, path, overrides, dry_run, ask_to_confirm, encoding, date_order, zone):
    """Import a spreadsheet (CSV or XLSX) of endorsements into the queue of statement SLUG."""
    statement = db.session.scalar(Statement.select_by_slug(slug))
    if statement is None:
        raise click.ClickException(f"No statement with the slug {slug!r}.")
    options = ImportOptions(date_order=date_order, time_zone=zone, ask_to_confirm=ask_to_confirm)
    try:
        sheet = read_spreadsheet(path.read_bytes(), path.name, encoding)
        mapping = apply_overrides(sheet.headers, recognise(sheet.headers), _map_option(overrides))
        report = import_endorsements(statement, sheet, mapping, options, dry_run=dry_run)
    except RuleError as error:
        db.session.rollback()
        raise click.ClickException(f"{path.name}: {error} Nothing was imported.") from error
    _echo_report(sheet, report)
    if report.problems:
        db.session.rollback()
        raise click.ClickException(
            f"{path.name}: {len(report.problems)} problem(s) in the rows above. Nothing was imported."
        )
    db.session.commit()
    verb = "Would add" if dry_run else "Added"
    click.echo(
        f"{verb} {len(report.added)} endorsement(s) to {slug}, {len(report.skipped)} skipped, "
        f"{report.mails} asked to confirm by mail." + (" Dry run: nothing was stored." if dry_run else "")
    )


def _map_option(overrides: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for item in overrides:
        target, equals, header = item.partition("=")
        if not equals:
            raise click.BadParameter(f"{item!r} is not FIELD=HEADER", param_hint="--map")
        pairs[target.strip()] = header
    return pairs


def _echo_report(sheet: Sheet, report: ImportReport) -> None:
    how = f"{sheet.encoding}, {DELIMITER_NAMES[sheet.delimiter]}-separated" if sheet.delimiter else "xlsx"
    click.echo(f"{sheet.name}: {len(sheet.rows)} row(s) ({how}).")
    columns = sorted(report.mapping.items(), key=lambda item: item[1])
    click.echo("Columns: " + "; ".join(f"{name} <- {sheet.headers[index]!r}" for name, index in columns))
    if report.ignored_columns:
        click.echo("Not imported: " + "; ".join(repr(header) for header in report.ignored_columns))
    if report.date_order_guessed:
        click.echo("No date shows the order; read as month first (--date-order day-first if not).")
    for problem in report.problems:
        click.echo(str(problem), err=True)
    for line, name, repeats in report.skipped:
        why = f"repeats line {repeats}" if repeats else "already on the statement"
        click.echo(f"Line {line}: skipped ({name}): {why}.")
    for row in report.duplicates:
        others = "; ".join(row["duplicates"])
        click.echo(f"Line {row['line']}: possible duplicate of {others} (flagged in the queue).")


@statements_cli.command("set-status")
@click.argument("slug")
@click.argument("status", type=click.Choice([status.value for status in StatementStatus]))
def set_status_command(slug: str, status: str):
    """Open, close or draft a statement (closing stops sign-on and starts the retention clock)."""
    statement = db.session.scalar(Statement.select_by_slug(slug))
    if statement is None:
        raise click.ClickException(f"No statement with the slug {slug!r}.")
    set_status(statement, status)
    db.session.commit()
    click.echo(f"{slug}: {status}")


@statements_cli.command("list")
def list_command():
    """Show every statement with its status."""
    for statement in db.session.scalars(sa.select(Statement).order_by(Statement.id)):
        click.echo(f"{statement.slug}\t{statement.status}\t{statement.title}")


@moderators_cli.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Give the admin role (manages moderators and statements).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--notify/--no-notify",
    default=None,
    help="Email this moderator about new endorsements, corrections and withdrawals (a new account: "
    "yes unless --no-notify; an existing one: unchanged unless given).",
)
def create_moderator(email: str, admin: bool, password_stdin: bool, notify: bool | None):
    """Create a moderator account (or reset the password of an existing one); a database that
    has no tables yet (before the first `make run`) is migrated first."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise click.BadParameter("Give an email address.", param_hint="EMAIL")
    _migrate_an_empty_database()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.ClickException("The password must have at least 10 characters.")
    moderator = db.session.scalar(Moderator.select_by_email(email))
    created = moderator is None
    if created:
        moderator = Moderator(email=email)
        db.session.add(moderator)
    moderator.role = Role.ADMIN if admin else (moderator.role or Role.MODERATOR)
    moderator.active = True
    if notify is not None or created:
        moderator.notify_new_endorsements = notify is not False
    moderator.set_password(password)
    db.session.commit()
    click.echo(f"{'Created' if created else 'Updated'} {moderator.role} {email}.")


def _migrate_an_empty_database() -> None:
    """Only an empty one: a database at an older schema is for `flask db upgrade`, said plainly."""
    if sa.inspect(db.engine).get_table_names():
        return
    upgrade(directory=str(Path(current_app.root_path) / "migrations"))
    click.echo("The database had no tables yet: created them (flask db upgrade).")


@outbox_cli.command("send")
def send_outbox():
    """Decide waiting sign-ons, then deliver every queued mail now, including those waiting for a retry."""
    process_signons()
    sender = Sender()
    sent, failed = sender.deliver_due(retry_now=True)
    click.echo(f"{sent} mail(s) sent, {failed} failed.")
    if not sender.database_ok:
        click.echo("The database failed during delivery; run the command again.", err=True)
    if failed or not sender.database_ok:
        raise click.exceptions.Exit(1)


@outbox_cli.command("worker")
def outbox_worker():
    """Send queued mail as it comes, until SIGTERM or Ctrl-C (for OUTBOX_DELIVERY=worker)."""
    # Its log is its only output: unless the app configured logging, write INFO lines to stderr.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()
    # This process is the sender: the commits it makes itself (deciding sign-ons queues mail)
    # must not start a second one in a thread.
    app.config["OUTBOX_DELIVERY"] = "worker"
    sender = Sender()
    stop_on_signals(sender.stopping)
    run_worker(app, sender)


@outbox_cli.command("status")
def outbox_status():
    """Count mails by status."""
    rows = db.session.execute(sa.select(OutboxMail.status, sa.func.count()).group_by(OutboxMail.status))
    for status, count in rows:
        click.echo(f"{status}\t{count}")


@retention_cli.command("purge")
@click.option("--days", type=int, help="Days after closing (default: RETENTION_DAYS, 180).")
def purge_command(days: int | None):
    """Anonymise contact data of endorsements on statements closed more than N days ago."""
    days = current_app.config["RETENTION_DAYS"] if days is None else days
    if days < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--days")
    count = purge_contact_data(days)
    db.session.commit()
    click.echo(f"{count} endorsement(s) anonymised (statements closed more than {days} day(s) ago).")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option(
    "--before-upgrade",
    is_flag=True,
    help="Only if the database holds data and `flask db upgrade` would change it (make serve does this).",
)
def backup_command(path: Path | None, before_upgrade: bool):
    """Write a consistent backup of the database to PATH (default: a new file in BACKUP_DIR,
    of which the last BACKUP_KEEP are kept)."""
    engine = db.engine
    if before_upgrade and not (
        backups.holds_data(engine)
        and backups.migrations_pending(engine, current_app.extensions["migrate"].directory)
    ):
        click.echo("No backup needed: the database is empty or has no migration to apply.")
        return
    written = _write_backup(engine, path)
    click.echo(f"Backup written to {written}.")


def _write_backup(engine, path: Path | None = None) -> Path:
    """A backup at `path`, or a new automatic one in BACKUP_DIR (older ones pruned)."""
    backup_dir = current_app.config["BACKUP_DIR"]
    try:
        written = backups.backup(engine, path or backups.automatic_path(engine, backup_dir))
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    if path is None:
        for old in backups.prune(backup_dir, current_app.config["BACKUP_KEEP"]):
            click.echo(f"Removed the old backup {old}.")
    return written


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds data (it is backed up first).")
def restore_command(path: Path, force: bool):
    """Restore a backup made by `flask backup` into this database (stop the app first)."""
    engine = db.engine
    db.session.remove()
    try:
        kind = backups.backup_kind(path)
        if force and kind == engine.dialect.name and backups.holds_data(engine):
            click.echo(f"The data being replaced was backed up to {_write_backup(engine)}.")
        backups.restore(engine, path, force=force)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {path}.")


@reasons_cli.command("seed")
def seed_reasons_command():
    """Add a few common rejection reasons (in English and Khmer) if there has never been any."""
    added = seed_default_reasons()
    db.session.commit()
    click.echo(
        f"{added} rejection reason(s) added." if added else "Rejection reasons already set; none added."
    )


def register(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(statements_cli)
    app.cli.add_command(moderators_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(endorsements_cli)
    app.cli.add_command(reasons_cli)
