"""Logging: one line per request, lines for decisions, logins, limits and mail, all on standard error.

Configured once per process by `create_app` with `logging.config.dictConfig`. Text for people
(`LOG_FORMAT=text`), one JSON object per line for log collectors (`LOG_FORMAT=json`). The JSON
formatter is the standard library's `logging.Formatter` with `json.dumps`: a dozen lines, where
python-json-logger would be one more pinned dependency for the same output.

What a line may hold: ids, statuses, methods, masked paths, durations. Never a contact detail
(log calls pass ids only) and never a link token: the request line masks every path argument
named like a token, and the paths of mailed links when no route matched.
"""

import json
import logging
import logging.config
import re
import time
import uuid

from flask import Flask, g, has_request_context, request

log = logging.getLogger("jointly.request")

# Path arguments that are secrets: whoever holds the link can act as the endorser.
SECRET_ARGUMENTS = frozenset({"token"})
# For paths no route matched (a 404 or 405 on a mailed link) the rule cannot tell which part is a token.
TOKEN_PATH = re.compile(r"^/(confirm|manage)/[^/]+")
MASK = "***"
# A request id from the proxy is kept (nginx sends its $request_id) if it looks like one.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Ours, the limiter's, and Alembic's (which migrations `flask db upgrade` runs, and what they warn about).
LOGGERS = ("jointly", "flask-limiter", "alembic")


def current_request_id() -> str:
    if has_request_context():
        return g.get("request_id", "-")
    return "-"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`2026-12-01 10:00:00,123 INFO jointly.request [id] message`."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = getattr(record, "request_id", "-")
        return super().format(record)


FORMATTERS = {"text": TextFormatter, "json": JsonFormatter}


def formatter(name: str) -> logging.Formatter:
    """The formatter LOG_FORMAT names (also what the tests read the captured records through)."""
    if name not in FORMATTERS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATTERS)}, not {name!r}")
    return FORMATTERS[name]()


def logging_config(app: Flask) -> dict:
    """Our loggers and the app's at LOG_LEVEL. Outside tests they write to standard error and
    the root logger takes everything else at WARNING. Under pytest no handler is installed and
    the root logger is left alone: records propagate to pytest's own handlers (caplog)."""
    level = app.config["LOG_LEVEL"].upper()
    formatter(app.config["LOG_FORMAT"])  # refuse an unknown format at start
    testing = app.testing
    handlers = [] if testing else ["stderr"]
    loggers = {name: {"level": level, "handlers": handlers, "propagate": testing} for name in LOGGERS}
    loggers[app.logger.name] = {"level": level, "handlers": handlers, "propagate": testing}
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": {"()": FORMATTERS[app.config["LOG_FORMAT"]]}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "main"}
        },
        "loggers": loggers,
    }
    if not testing:
        config["root"] = {"level": "WARNING", "handlers": ["stderr"]}
    return config


def masked_path() -> str:
    """The request's path with every secret argument replaced by ***."""
    path = request.path
    rule, arguments = request.url_rule, request.view_args or {}
    if rule is not None and SECRET_ARGUMENTS & arguments.keys():
        parts = {name: (MASK if name in SECRET_ARGUMENTS else value) for name, value in arguments.items()}
        return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(parts.get(m[1], m[0])), rule.rule)
    return TOKEN_PATH.sub(lambda m: f"/{m[1]}/{MASK}", path)


def _start_request() -> None:
    g.request_started = time.perf_counter()
    offered = request.headers.get("X-Request-ID", "")
    g.request_id = offered if REQUEST_ID.match(offered) else uuid.uuid4().hex


def _log_request(response):
    """The request line, and the id in the answer so a reader's report can be found in the log."""
    started = g.get("request_started")
    duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
    response.headers["X-Request-ID"] = current_request_id()
    path = masked_path()
    log.info(
        "%s %s %s %.1fms",
        request.method,
        path,
        response.status_code,
        duration_ms,
        extra={
            "fields": {
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": round(duration_ms, 1),
            }
        },
    )
    return response


def _record_with_request_id(make_record):
    """Every record made during a request carries its id, whoever logs it and wherever the
    record is formatted later (the logging cookbook's way to add context)."""

    def make(*args, **kwargs):
        record = make_record(*args, **kwargs)
        record.request_id = current_request_id()
        return record

    make.adds_request_id = True
    return make


def init_app(app: Flask) -> None:
    """Configure logging, then time and log every request. Registered before every other
    after_request hook, so it runs last and logs the final status."""
    logging.config.dictConfig(logging_config(app))
    if not getattr(logging.getLogRecordFactory(), "adds_request_id", False):
        logging.setLogRecordFactory(_record_with_request_id(logging.getLogRecordFactory()))
    app.before_request(_start_request)
    app.after_request(_log_request)
