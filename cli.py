"""Command-line tools: `flask --app app statements ...`, `flask --app app moderators ...`."""

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_migrate import upgrade

from domain import RuleError
from domain.intake import process_signons
from domain.outbox import deliver_due
from domain.reasons import seed_default_reasons
from domain.retention import purge_contact_data
from domain.statements import import_statement, import_translation, set_status
from extensions import db
from models import Moderator, OutboxMail, Role, Statement, StatementStatus

statements_cli = AppGroup("statements", help="Import and list statements.")
moderators_cli = AppGroup("moderators", help="Manage moderator accounts.")
outbox_cli = AppGroup("outbox", help="Deliver queued mail.")
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
@click.option("--notify", is_flag=True, help="Email this moderator about each newly confirmed endorsement.")
def create_moderator(email: str, admin: bool, password_stdin: bool, notify: bool):
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
    moderator.notify_new_endorsements = notify or bool(moderator.notify_new_endorsements)
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
    sent, failed = deliver_due(ignore_schedule=True)
    click.echo(f"{sent} mail(s) sent, {failed} failed.")
    if failed:
        raise click.exceptions.Exit(1)


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


@reasons_cli.command("seed")
def seed_reasons_command():
    """Add a few common rejection reasons (in English and Khmer) if there has never been any."""
    added = seed_default_reasons()
    db.session.commit()
    click.echo(
        f"{added} rejection reason(s) added." if added else "Rejection reasons already set; none added."
    )


def register(app: Flask) -> None:
    app.cli.add_command(statements_cli)
    app.cli.add_command(moderators_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(reasons_cli)
