import logging
import os
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from alembic.util import CommandError
from flask import current_app

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# alembic.ini's logging is for a bare `alembic` run. Under the app (flask db, make serve, the
# tests) logging is already set up: configuring it again would add a second handler on the
# root logger, bound to whatever sys.stderr is at that moment (pytest's capture of one test).
if not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
    except AttributeError:
        return str(get_engine().url).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


# Set to 1 by an operator who has a backup (`flask --app app backup PATH`) and means to downgrade
# a database that holds endorsements: a downgrade drops the columns and tables it goes back over.
BACKUP_TAKEN = "DOWNGRADE_BACKUP_TAKEN"


def is_downgrade(migration_context) -> bool:
    """Whether the command moves the schema back from where the database is now: to base, by
    a relative step back, or to an ancestor of the current revision."""
    if "destination_rev" not in migration_context.opts:  # current, check, stamp...
        return False
    destination = context.get_revision_argument()
    heads = migration_context.get_current_heads()
    if not heads:
        return False
    if destination is None or (isinstance(destination, str) and destination.startswith("-")):
        return True
    script = context.script
    earlier = {
        revision.revision
        for head in heads
        for revision in script.iterate_revisions(head, "base")
        if revision.revision != head
    }
    return destination in earlier


def refuse_downgrade_of_endorsements(connection, migration_context) -> None:
    """`flask db downgrade base` once dropped 879 endorsements without a word: not again."""
    if os.environ.get(BACKUP_TAKEN) == "1" or not is_downgrade(migration_context):
        return
    if "endorsements" not in sa.inspect(connection).get_table_names():
        return
    count = connection.execute(sa.text("SELECT count(*) FROM endorsements")).scalar()
    connection.rollback()
    if count:
        raise CommandError(
            f"This database holds {count} endorsement(s) and a downgrade drops what it goes back "
            "over. Take a backup first (flask --app app backup PATH), then run the downgrade "
            f"again with {BACKUP_TAKEN}=1."
        )


def prepare_sqlite(connection) -> None:
    """Batch migrations rebuild a SQLite table by copying it and dropping the old one, which
    enforced foreign keys refuse while other tables point at it (the downgrade that stopped
    half-way). Foreign keys are off for the migration, as Alembic advises, and checked after;
    scratch tables of an earlier run that stopped half-way are cleared."""
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    for (name,) in connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE '\\_alembic\\_tmp\\_%' ESCAPE '\\'"
    ).all():
        logger.warning("Dropping %s, left by a migration that stopped half-way.", name)
        connection.exec_driver_sql(f'DROP TABLE "{name}"')
    connection.commit()


def check_sqlite(connection) -> None:
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    connection.commit()
    if problems:
        raise CommandError(f"The migration left rows whose foreign keys point nowhere: {problems[:5]}")


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            prepare_sqlite(connection)
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        refuse_downgrade_of_endorsements(connection, context.get_context())

        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            check_sqlite(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
