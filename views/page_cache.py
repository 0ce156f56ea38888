"""What makes the statement page cheap to serve to thousands of readers.

The endorser list and the statement body are rendered once per version and language and
kept per process; the version lives in the database (`Statement.list_version`, bumped by
every change to the list, and `updated_at`), so every worker on every machine sees a
change on its next request. Readers who already have the page get a 304.
"""

import hashlib
import os
import threading
from collections import OrderedDict

from flask import current_app, render_template, session
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from domain.statements import StatementText
from extensions import db
from models import Endorsement, Statement
from views.rendering import render_markdown


class RenderCache:
    """A small LRU of rendered fragments, one per app and process."""

    def __init__(self, size: int = 64):
        self._entries: OrderedDict = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key, build):
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = build()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value


def _cache() -> RenderCache:
    return current_app.extensions.setdefault("jointly_render_cache", RenderCache())


def endorser_list(statement: Statement) -> tuple[Markup, int, int]:
    """The rendered <ol> of named endorsers, their count and the count of unnamed ones."""

    def build():
        endorsers = db.session.scalars(Endorsement.select_public(statement.id, statement.list_order)).all()
        unnamed = db.session.scalar(Endorsement.count_anonymous(statement.id))
        html = render_template("public/_endorser_list.html", endorsers=endorsers, unnamed=unnamed)
        return Markup(html), len(endorsers), unnamed

    # created_at too: a restored or emptied database can hand an old id to a new statement.
    # The locale too: the names and the sentence about unnamed endorsers differ per language.
    key = ("list", statement.id, statement.created_at, statement.list_version, str(get_locale()))
    return _cache().get(key, build)


def statement_body(statement: Statement, text: StatementText) -> Markup:
    """The body of the language version the reader sees (`domain.statements.text_in`)."""
    key = ("body", statement.id, statement.created_at, text.language, text.updated_at)
    return _cache().get(key, lambda: render_markdown(text.body))


def _templates_version() -> str:
    """Changes when a deploy changes a template, so browsers do not keep an old page."""

    def build():
        digest = hashlib.sha256()
        for folder, _, files in sorted(os.walk(os.path.join(current_app.root_path, "templates"))):
            for name in sorted(files):
                stat = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        return digest.hexdigest()[:16]

    return _cache().get(("templates",), build)


def page_etag(statement: Statement, accepts_signons: bool) -> str:
    """Everything the page shows: list and text versions in the reader's language, the
    languages it can be read in, the reader's CSRF token and login."""
    parts = (
        statement.id,
        statement.list_version,
        statement.updated_at.isoformat(),
        str(get_locale()),
        sorted((t.language, t.updated_at.isoformat()) for t in statement.translations),
        accepts_signons,
        session.get("csrf_token", ""),
        current_user.get_id() or "",
        _templates_version(),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
