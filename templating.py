"""What every template can use, pages and mails alike: the reader's words for stored values,
names as the list prints them, the language switcher, and Markdown made safe."""

import hashlib
import os
from datetime import UTC, datetime
from urllib.parse import urlencode

import markdown
import nh3
from babel import Locale
from flask import Flask, current_app, g, request, url_for
from flask_babel import format_datetime, get_locale, get_translations
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from domain.email_hints import email_hint
from domain.labels import describe_suspicion, label
from domain.notifications import external_url
from domain.statements import organisers_of, text_in
from i18n import current_language
from models import Endorsement, Statement

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "a", "ul", "ol", "li", "blockquote",
    "h2", "h3", "h4", "h5", "h6", "code", "pre",
}  # fmt: skip


class _LinksToNowhere(Treeprocessor):
    """`[ILO](#)`, a placeholder left in a statement, would be a link that goes nowhere: make it
    plain text. The tag becomes a <span>, which the sanitiser drops while keeping its text."""

    def run(self, root):
        for element in root.iter("a"):
            if (element.get("href") or "").strip() in ("", "#"):
                element.tag = "span"
                element.attrib.clear()


class _PlainTextForDeadLinks(Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(_LinksToNowhere(md), "links_to_nowhere", 0)


def render_markdown(text: str) -> Markup:
    """Markdown is written by moderators, but still goes through the sanitiser."""
    html = markdown.markdown(text or "", output_format="html", extensions=[_PlainTextForDeadLinks()])
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Markup(cleaned)


def listed_name(endorsement: Endorsement) -> str:
    """The name as the list prints it: the name in the page's script, the other in brackets,
    then acronym and location: 'Prey Lang Community (សហគមន៍ព្រៃឡង់) (PLC) (Kratie)'."""
    names = [endorsement.organisation]
    other = endorsement.organisation_km
    if other and other != endorsement.organisation:
        names = [other, endorsement.organisation] if current_language() == "km" else [names[0], other]
    extras = [*names[1:], endorsement.acronym, endorsement.location]
    return names[0] + "".join(f" ({extra})" for extra in extras if extra)


def statement_text(statement: Statement):
    """The statement's kicker, title and body in the current language when it has them."""
    return text_in(statement, current_language())


def status_label(status: str) -> str:
    """The state of an endorsement as its own contact reads it."""
    return label(status, "endorser_status")


def language_name(code: str, in_language: str | None = None) -> str:
    """'Khmer' to an English reader, 'ខ្មែរ' to a Khmer one."""
    return Locale.parse(code).get_display_name(in_language or current_language())


def _page_to_return_to() -> str:
    """This page again, for the switcher: without ?lang=, and never an address that only takes POST."""
    if request.method in ("GET", "HEAD"):
        args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
        return request.path + ("?" + urlencode(args) if args else "")
    adapter = current_app.url_map.bind("localhost")
    for candidate in (request.path, request.path.rsplit("/", 1)[0]):
        try:
            adapter.match(candidate, method="GET")
        except HTTPException:
            continue
        return candidate
    return url_for("public.index")


def language_switch() -> list[dict]:
    """One link per interface language, each named in its own language."""
    here = _page_to_return_to()
    return [
        {
            "code": code,
            "name": language_name(code, code),
            "url": url_for("public.set_language", code=code, next=here),
            "current": code == current_language(),
        }
        for code in current_app.config["LANGUAGES"]
    ]


def moment(value: datetime | None) -> Markup:
    """A stored UTC time as moderators read it, in TIMEZONE with the zone named and the month in
    their language, inside a <time> machines read: '28 Nov 2026, 22:22 +0700' at 15:22:00Z."""
    if not value:
        return Markup("")
    utc = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    stamp = utc.isoformat(timespec="seconds") + "Z"
    return Markup('<time datetime="{}">{}</time>').format(stamp, format_datetime(value, "d MMM y, HH:mm z"))


_static_hashes: dict[tuple, str] = {}


def static_version(filename: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256, recomputed only when the file changes."""
    path = os.path.join(current_app.static_folder, filename)
    try:
        seen = os.stat(path)
    except OSError:
        return None
    key = (path, seen.st_mtime_ns, seen.st_size)
    if key not in _static_hashes:
        with open(path, "rb") as file:
            _static_hashes[key] = hashlib.sha256(file.read()).hexdigest()[:12]
    return _static_hashes[key]


def version_static_urls(endpoint: str, values: dict) -> None:
    """url_for('static', filename=...) carries the file's content hash (?v=...): nginx serves
    such addresses with a year's immutable caching, and a changed file gets a new address."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = static_version(values["filename"])
        if version:
            values["v"] = version


def _install_cached_gettext(app: Flask) -> None:
    """Flask-Babel finds the catalogue afresh for every string, through several context
    look-ups; the moderation queue translates hundreds per page. Keep the catalogue of each
    language in `g` for the request (keyed by language, so `force_locale` for mail still works)."""

    def translations():
        catalogues = g.setdefault("jointly_catalogues", {})
        language = str(get_locale())
        if language not in catalogues:
            catalogues[language] = get_translations()
        return catalogues[language]

    app.jinja_env.install_gettext_callables(
        gettext=lambda text: translations().ugettext(text),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        newstyle=True,
    )


def init_app(app: Flask) -> None:
    for function in (statement_text, status_label, language_name, language_switch, email_hint, external_url):
        app.add_template_global(function)
    app.add_template_global(organisers_of, "organisers")
    app.add_template_filter(listed_name)
    app.add_template_filter(label)
    app.add_template_filter(describe_suspicion, "suspicion")
    app.add_template_filter(moment)
    app.context_processor(lambda: {"current_language": current_language()})
    app.url_defaults(version_static_urls)
    _install_cached_gettext(app)
