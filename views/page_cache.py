"""What makes the statement page cheap to serve to thousands of readers.

The endorser list and the statement body are rendered once per version and language and
kept per process; the version lives in the database (`Statement.list_version`, bumped by
every change to the list or its language versions, and `updated_at`), so every worker on
every machine sees a change on its next request. Readers who already have the page get a
304. Anonymous readers get the whole page from bytes rendered and compressed once
(`SharedPage`), plain or gzip.
"""

import gzip
import hashlib
import os
import threading
from collections import OrderedDict

from flask import current_app, render_template, request
from flask_babel import get_locale
from markupsafe import Markup

from domain.statements import StatementText
from extensions import db
from models import Endorsement, Statement, StatementStamp
from templating import render_markdown


class RenderCache:
    """Rendered fragments and pages, one per app and process, each kept with the version it
    was built from. A newer version replaces the old entry rather than adding one beside it,
    so memory stays bounded by the number of pages, not by how often the list changes."""

    def __init__(self, size: int = 64):
        self._entries: OrderedDict = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key, version, build):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == version:
                self._entries.move_to_end(key)
                return entry[1]
        value = build()
        with self._lock:
            self._entries[key] = (version, value)
            self._entries.move_to_end(key)
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

    # The locale is in the key: the names and the sentence about unnamed endorsers differ per
    # language. created_at is in the version: a restored database can hand an old id to a new statement.
    key = ("list", statement.id, str(get_locale()))
    return _cache().get(key, (statement.created_at, statement.list_version), build)


def statement_body(statement: Statement, text: StatementText) -> Markup:
    """The body of the language version the reader sees (`domain.statements.text_in`)."""
    key = ("body", statement.id, text.language)
    return _cache().get(key, (statement.created_at, text.updated_at), lambda: render_markdown(text.body))


def templates_version() -> str:
    """Changes when a deploy changes a template or a translation, so browsers do not keep an
    old page (a deploy that only fixes Khmer wording changes no template)."""

    def build():
        digest = hashlib.sha256()
        for top in ("templates", "translations"):
            for folder, _, files in sorted(os.walk(os.path.join(current_app.root_path, top))):
                for name in sorted(files):
                    stat = os.stat(os.path.join(folder, name))
                    digest.update(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        return digest.hexdigest()[:16]

    return _cache().get(("templates",), None, build)


def page_etag(statement: StatementStamp, accepts_signons: bool, reader: str = "") -> str:
    """Everything the page shows: list and text versions (a new language version bumps the
    list's), the reader's language, whether it takes sign-ons, the templates; and for a page
    made for one reader (a moderator's), who it was made for."""
    parts = (
        statement.id,
        statement.list_version,
        statement.updated_at.isoformat(),
        str(get_locale()),
        accepts_signons,
        reader,
        templates_version(),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


class SharedPage:
    """One rendered page as bytes, plain and gzip-compressed once for every reader."""

    def __init__(self, html: str):
        self.plain = html.encode()
        self.gzipped = gzip.compress(self.plain, compresslevel=9, mtime=0)


def shared_page(statement: StatementStamp, accepts_signons: bool, render) -> SharedPage:
    """The statement page as every anonymous reader of this address and language sees it."""
    key = ("page", statement.id, request.path, str(get_locale()))
    version = (
        statement.created_at,
        statement.list_version,
        statement.updated_at,
        accepts_signons,
        templates_version(),
    )
    return _cache().get(key, version, lambda: SharedPage(render()))
