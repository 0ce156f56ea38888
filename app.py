"""Jointly: the composition root. `flask --app app` finds `create_app`."""

import logging
import os
import secrets
import stat
import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool
from werkzeug.middleware.proxy_fix import ProxyFix

import cli
import i18n
import logging_setup
import templating
from backups import sqlite_path
from domain import outbox
from extensions import csrf, db, limiter, login_manager, mail, migrate
from views import (
    DatabaseNumber,
    admin,
    auth,
    corrections,
    errors,
    exports,
    health,
    importing,
    info,
    moderation,
    public,
    subscriptions,
    updates,
)
from views.security import add_security_headers, refuse_cross_site_posts, refuse_nul_bytes

DEFAULTS = {
    "SECRET_KEY": None,
    "DATABASE_URL": None,
    "PORT": 5000,
    "BASE_URL": None,
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_DEFAULT_SENDER": "Jointly <no-reply@jointly.invalid>",
    "MAIL_SUPPRESS_SEND": False,
    "MAIL_TIMEOUT": 10,
    # With no MAIL_SERVER, print whole mails, personal links included, to the console
    # (`make run` on a laptop); otherwise only that a mail was kept unsent.
    "MAIL_CONSOLE_LINKS": False,
    # background: a thread per web process sends right after the commit and retries;
    # worker: web processes only queue, `flask outbox worker` sends (production);
    # inline: send during the request (tests); manual: only `flask outbox send`.
    "OUTBOX_DELIVERY": "background",
    "OUTBOX_RETRY_SECONDS": 60,
    # How often `flask outbox worker` looks for due mail (one indexed query).
    "OUTBOX_POLL_SECONDS": 1.0,
    # How long a sender owns a mail it claimed; renewed before each mail of a batch.
    "OUTBOX_CLAIM_SECONDS": 60,
    # Who publishes statements and how to reach them, unless a statement names its own:
    # shown on statement pages, the privacy page and in every mail; the Reply-To of mail to endorsers.
    "ORGANISER_NAME": "",
    "ORGANISER_EMAIL": "",
    "MAILS_PER_ENDORSEMENT": 5,
    "CONFIRM_TOKEN_MAX_AGE_DAYS": 7,
    "MANAGE_TOKEN_MAX_AGE_DAYS": 365,
    "UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS": 3650,
    # The pace of a statement update's mails: at most this many a minute, evenly spaced.
    "MAIL_RATE_PER_MINUTE": 60,
    "MODERATOR_SESSION_HOURS": 8,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    # Above the review limit a sign-on is still taken, and kept for review; above the rate
    # limit (a flood) it is refused with 429. Both per client address and statement.
    "SIGNON_REVIEW_LIMIT": "10/hour;50/day",
    "SIGNON_RATE_LIMIT": "30/minute;300/day",
    "LOGIN_RATE_LIMIT": "10/minute;100/day",
    "LOGIN_ACCOUNT_RATE_LIMIT": "5/minute;30/hour",
    "SIGNON_MIN_SECONDS": 3,
    # A form timer older than this marks its sign-on as suspected.
    "SIGNON_FORM_MAX_AGE_HOURS": 24,
    # How long a shared cache (nginx, a CDN) may serve the statement page without asking again.
    "SHARED_CACHE_SECONDS": 10,
    # Proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
    "PROXY_FIX_HOPS": 0,
    "RETENTION_DAYS": 180,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "DEFAULT_STATEMENT_FILE": "statements/2024-06-27-stop-reprisals-against-central.md",
    # The interface language for readers whose browser asks for none we have, and for moderators' mail.
    "DEFAULT_LANGUAGE": "en",
    # Downloads of the list (CSV, JSON, Markdown, text, PDF) per client address.
    "EXPORT_RATE_LIMIT": "30/minute;300/day",
    # text for people, json (one object per line) for log collectors.
    "LOG_FORMAT": "text",
    "LOG_LEVEL": "INFO",
    # Where `flask backup --before-upgrade` writes (default: instance/backups) and how many it keeps.
    "BACKUP_DIR": None,
    "BACKUP_KEEP": 5,
    # The time zone every time is shown in (always with the zone named); times are stored in UTC.
    "TIMEZONE": "UTC",
}


class ConfigError(ValueError):
    """A setting that cannot be used, named with the value that was given."""


def _coerce(key: str, raw: str, default):
    """Environment values are strings; give them the type of their default."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int | float):
        try:
            return type(default)(raw)
        except ValueError:
            raise ConfigError(f"{key} must be a number, not {raw!r}") from None
    return raw


def _settings_from_environment() -> dict:
    """Read each known config key from an environment variable of the same name."""
    return {
        key: _coerce(key, os.environ[key], default) for key, default in DEFAULTS.items() if key in os.environ
    }


def _instance_secret_key(instance_path: str) -> str:
    """Generate a secret key once per install and keep it beside the database."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def secure_instance(instance_path: str, database_url: str) -> None:
    """Contact data lives in the SQLite file and the secret key in instance/: only their owner
    may read them. Creates instance/ as 0700 and the database as 0600 (SQLite gives its -wal
    and -shm files the database's mode); existing ones are left as they are, with a warning
    when anyone else can read them."""
    log = logging.getLogger("jointly.files")
    os.makedirs(instance_path, mode=0o700, exist_ok=True)
    database = sqlite_path(database_url)
    if database is not None and database.parent.is_dir() and not database.exists():
        os.close(os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # SQLite takes an empty file
    candidates = [Path(instance_path)]
    if database is not None:
        candidates += [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    for path in candidates:
        if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
            wanted = "0700" if path.is_dir() else "0600"
            mode = oct(stat.S_IMODE(path.stat().st_mode))[2:]
            log.warning("%s is mode %s: others can read it; run chmod %s %s", path, mode, wanted, path)


def _time_zone(name: str) -> str:
    """A zone from the tz database, such as Asia/Phnom_Penh; a typo stops the app at start."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE must be a zone such as UTC or Asia/Phnom_Penh, not {name!r}") from None
    return name


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    _configure(app, test_config)
    logging_setup.init_app(app)
    secure_instance(app.instance_path, app.config["SQLALCHEMY_DATABASE_URI"])
    _init_extensions(app)
    _register_blueprints(app)
    i18n.init_app(app)
    templating.init_app(app)
    cli.register(app)
    return app


def _configure(app: Flask, test_config: dict | None) -> None:
    """Defaults, then environment variables of the same names, then the tests' settings."""
    app.config.from_mapping(DEFAULTS)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        # A cached statement page keeps its form; the token must live as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_HEADERS_ENABLED=True,
        # Redis down: count in this process's memory (a warning is logged) instead of failing
        # requests, and never let the limiter turn an answer into an error once a view committed.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        # Interface languages, each with a catalogue in translations/ (English is the source text).
        LANGUAGES=("en", "km"),
    )
    app.config.update(_settings_from_environment())
    if test_config:
        app.config.update(test_config)
    _finish_config(app)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    mail.init_app(app)
    outbox.init_app(app)
    limiter.init_app(app)
    app.before_request(refuse_cross_site_posts)
    app.before_request(refuse_nul_bytes)
    app.after_request(add_security_headers)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _register_blueprints(app: Flask) -> None:
    # Before any route is added: every `<int:...>` is a number the database can hold.
    app.url_map.converters["int"] = DatabaseNumber
    blueprints = (
        *(public.bp, exports.bp, info.bp, subscriptions.bp),
        *(moderation.bp, corrections.bp, admin.bp, importing.bp, updates.bp),
        *(auth.bp, health.bp),
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    errors.register(app)
    # make url_for('index') == url_for('public.index')
    app.add_url_rule("/", endpoint="index")


def _finish_config(app: Flask) -> None:
    """Fill the settings that depend on others or on the instance folder."""
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)  # private: see secure_instance
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret_key(app.instance_path)
    database_url = app.config["DATABASE_URL"] or (
        "sqlite:///" + os.path.join(app.instance_path, "jointly.sqlite3")
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    # A server can drop idle connections, so check each before use; a SQLite file cannot.
    if not database_url.startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("pool_pre_ping", True)
    if not app.config["BASE_URL"]:
        app.config["BASE_URL"] = f"http://127.0.0.1:{app.config['PORT']}"
    if app.config["DEFAULT_LANGUAGE"] not in app.config["LANGUAGES"]:
        raise ValueError(
            f"DEFAULT_LANGUAGE={app.config['DEFAULT_LANGUAGE']!r} is not one of {app.config['LANGUAGES']}"
        )
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["DEFAULT_LANGUAGE"]
    if app.config["OUTBOX_DELIVERY"] not in outbox.DELIVERY_MODES:
        raise ConfigError(
            f"OUTBOX_DELIVERY={app.config['OUTBOX_DELIVERY']!r} is not one of {outbox.DELIVERY_MODES}"
        )
    app.config["BACKUP_DIR"] = app.config["BACKUP_DIR"] or os.path.join(app.instance_path, "backups")
    if not app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        # A Redis that hangs must not hold a request: give up within a second and count in memory.
        timeouts = {"socket_timeout": 1, "socket_connect_timeout": 1}
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {
            **timeouts,
            **app.config.get("RATELIMIT_STORAGE_OPTIONS", {}),
        }
    app.config["BABEL_DEFAULT_TIMEZONE"] = _time_zone(app.config["TIMEZONE"])
    if app.config["MAIL_RATE_PER_MINUTE"] < 1:
        raise ConfigError(
            f"MAIL_RATE_PER_MINUTE must be 1 or more, not {app.config['MAIL_RATE_PER_MINUTE']!r}"
        )
    if app.config["BASE_URL"].startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


# The WAL is checkpointed into the database every 1000 pages (4 MiB) and cut back to this size
# after each checkpoint that resets it; without a limit it keeps its largest size forever.
SQLITE_WAL_LIMIT_BYTES = 8 * 1024 * 1024
# Readers that never pause starve the automatic checkpoint, so the WAL cannot restart from its
# beginning; every this many seconds a connection going back to the pool tries a TRUNCATE one.
SQLITE_CHECKPOINT_SECONDS = 60
_last_checkpoint = {"at": time.monotonic()}


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__ == "sqlite3"


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, _record):
    """SQLite needs WAL for concurrent readers, enforced foreign keys, patience when busy, and a
    WAL that does not grow without bound."""
    if not _is_sqlite(dbapi_connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_LIMIT_BYTES}")
    cursor.execute("PRAGMA wal_autocheckpoint=1000")
    cursor.close()


@event.listens_for(Pool, "checkin")
def _checkpoint_sqlite(dbapi_connection, _record):
    """Now and then, between transactions, move the whole WAL into the database and empty it.
    It waits at most 200 ms for readers; if they do not let it, the next one tries again."""
    if dbapi_connection is None or not _is_sqlite(dbapi_connection):
        return
    if time.monotonic() - _last_checkpoint["at"] < SQLITE_CHECKPOINT_SECONDS:
        return
    _last_checkpoint["at"] = time.monotonic()
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=200")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
