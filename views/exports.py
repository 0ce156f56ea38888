"""Release outputs of the approved list: CSV, JSON, Markdown, text, PDF, and the embed widget.

Every output is built from `Endorsement.select_public`, so whatever that query leaves out
(pending, rejected, withdrawn entries) is left out here too, and only public fields leave
the database: contact name, email, phone and message never appear in an export.
"""

import csv
import io
import json
import re

import sqlalchemy as sa
from flask import Blueprint, current_app, make_response, render_template, request
from flask_babel import format_date, ngettext
from werkzeug.utils import secure_filename

from domain.notifications import external_url
from domain.statements import StatementText, text_in
from extensions import db, limiter
from forms.hygiene import starts_like_formula
from i18n import current_language
from models import Endorsement, Statement, now_utc
from templating import listed_name, render_markdown
from views.page_cache import RenderCache, templates_version
from views.public import get_public_statement_or_404
from views.shared_cache import mark_shared

bp = Blueprint("exports", __name__)
# One limit for all downloads of the list per client address: a script fetching PDFs in a
# loop gets 429s, not the workers every reader of the page needs.
export_limit = limiter.shared_limit(lambda: current_app.config["EXPORT_RATE_LIMIT"], scope="exports")

# The Khmer-script name has a column of its own: data for scripts and spreadsheets. The other
# formats are read by people, and give it beside the Latin name, as the page does.
COLUMNS = ("number", "organisation", "organisation_km", "acronym", "location", "website")
# Characters CommonMark gives a meaning anywhere in a line (emphasis, code, links, HTML, entities,
# GFM tables and strikethrough); a backslash makes each one literal.
MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>&|~])")
# At the start of a list item's text these open a heading, a nested list or a setext line.
MARKDOWN_BLOCK_START = re.compile(r"^(?:([#+=-])|(\d+)([.)]))")


def approved_list(slug: str) -> tuple[Statement, list[Endorsement]]:
    """The statement (404 unless public) and its approved endorsers in list order."""
    statement = get_public_statement_or_404(slug)
    return statement, db.session.scalars(Endorsement.select_public(statement.id, statement.list_order)).all()


def public_rows(endorsers: list[Endorsement]) -> list[dict]:
    """Number by rank in the list, not by stored position, which keeps gaps after withdrawals."""
    return [
        {"number": number, **{name: getattr(endorser, name) for name in COLUMNS[1:]}}
        for number, endorser in enumerate(endorsers, start=1)
    ]


def reader_text(statement: Statement) -> StatementText:
    """The statement's title and text in the reader's language, when it has them."""
    return text_in(statement, current_language())


def unnamed_count(statement: Statement) -> int:
    """Approved endorsers who asked not to be named: counted in every total, named in none."""
    return db.session.scalar(Endorsement.count_anonymous(statement.id))


def cover_line(statement: Statement, named: int) -> str:
    """The sentence that heads every release of the list, in the reader's language;
    unnamed endorsers count, unnamed. The date is written as the statement pages write it."""
    unnamed = unnamed_count(statement)
    total = named + unnamed
    today = format_date(now_utc().date(), "d MMMM y")
    if unnamed:
        return ngettext(
            "Endorsed by %(num)d organisation as of %(date)s (%(unnamed)d of them asked not to be named)",
            "Endorsed by %(num)d organisations as of %(date)s (%(unnamed)d of them asked not to be named)",
            total,
            date=today,
            unnamed=unnamed,
        )
    return ngettext(
        "Endorsed by %(num)d organisation as of %(date)s",
        "Endorsed by %(num)d organisations as of %(date)s",
        total,
        date=today,
    )


def neutralise_formula(cell):
    """An apostrophe keeps a cell that looks like a formula as text (OWASP CSV injection rule),
    also behind invisible or space characters and in full width ('\u200b=', '＝')."""
    if cell is None:
        return ""
    if isinstance(cell, str) and starts_like_formula(cell):
        return "'" + cell
    return cell


def escape_markdown(text: str) -> str:
    """Names are plain text: pasted as Markdown, a '*' or '[' in one must not become markup."""
    text = MARKDOWN_INLINE.sub(r"\\\1", text)
    return MARKDOWN_BLOCK_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)


def as_csv(endorsers: list[Endorsement]) -> str:
    """With a byte-order mark: without it Excel reads UTF-8 as ANSI and garbles Khmer names."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in public_rows(endorsers):
        writer.writerow([neutralise_formula(row[name]) for name in COLUMNS])
    return "\ufeff" + out.getvalue()


def as_json(statement: Statement, endorsers: list[Endorsement]) -> str:
    """For partners' sites and scripts: the list plus enough context to cite it. `count` is the
    total the page shows: the `named` organisations listed here and the `unnamed` ones."""
    unnamed = unnamed_count(statement)
    data = {
        "statement": {
            "slug": statement.slug,
            "title": statement.title,
            "url": external_url("public.statement", slug=statement.slug),
        },
        "as_of": now_utc().date().isoformat(),
        "count": len(endorsers) + unnamed,
        "named": len(endorsers),
        "unnamed": unnamed,
        "endorsements": public_rows(endorsers),
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def as_listing(statement: Statement, heading: str, endorsers: list[Endorsement], escape=str) -> str:
    """The list as it is published: a heading, the cover line, then a line per name as the page
    in the reader's language prints it: '1. Name (ឈ្មោះ) (ACRONYM) (Location)'."""
    lines = [heading, "", cover_line(statement, len(endorsers)), ""]
    lines += [f"{number}. {escape(listed_name(e))}" for number, e in enumerate(endorsers, start=1)]
    return "\n".join(lines) + "\n"


def local_only_fetcher():
    """The PDF is rendered from our own template: it must never reach out to the network or disk."""
    from weasyprint.urls import URLFetcher  # see as_pdf

    return URLFetcher(allowed_protocols={"data"})


def cached_pdf(slug: str) -> tuple[Statement, bytes]:
    """The PDF of this statement's list in the reader's language, rendered once per list
    version, text version, template deploy and day (the cover line says "as of" today) and
    kept per process: rendering takes about half a second for 43 names, seconds for thousands."""
    statement = get_public_statement_or_404(slug)
    language = current_language()
    version = (
        statement.created_at,
        statement.list_version,
        statement.updated_at,
        now_utc().date(),
        templates_version(),
    )

    def render() -> bytes:
        endorsers = db.session.scalars(Endorsement.select_public(statement.id, statement.list_order)).all()
        return as_pdf(statement, endorsers)

    cache = current_app.extensions.setdefault("jointly_pdf_cache", RenderCache(size=16))
    return statement, cache.get(("pdf", statement.id, language), version, render)


def as_pdf(statement: Statement, endorsers: list[Endorsement]) -> bytes:
    """The statement and its list as a PDF; WeasyPrint shapes Khmer through Pango and HarfBuzz."""
    text = reader_text(statement)
    page = render_template(
        "exports/statement_pdf.html",
        statement=statement,
        text=text,
        body_html=render_markdown(text.body),
        endorsers=endorsers,
        cover_line=cover_line(statement, len(endorsers)),
        statement_url=external_url("public.statement", slug=statement.slug),
    )
    # WeasyPrint (26 MB with Pango) is loaded by the first PDF a worker makes, not by every
    # worker at start: most never make one (PDFs are cached) and stay under 130 MB.
    from weasyprint import HTML

    return HTML(string=page, base_url=None, url_fetcher=local_only_fetcher()).write_pdf()


def download(body, mimetype: str, statement: Statement, extension: str, disposition: str = "attachment"):
    """Werkzeug adds '; charset=utf-8' to text/* types; the filename is safe whatever the slug.

    Some downloads have their cover line and text in the reader's language; the shared cache
    keys every download by language (`views.shared_cache`).
    """
    response = make_response(body)
    response.mimetype = mimetype
    stem = secure_filename(statement.slug) or "statement"
    response.headers.set("Content-Disposition", disposition, filename=f"{stem}-endorsements.{extension}")
    # The same bytes for every reader of this address and language: shared caches may keep it.
    return mark_shared(response)


@bp.get("/statements/<slug>/endorsements.csv")
@export_limit
def endorsements_csv(slug: str):
    statement, endorsers = approved_list(slug)
    return download(as_csv(endorsers), "text/csv", statement, "csv")


@bp.get("/statements/<slug>/endorsements.json")
@export_limit
def endorsements_json(slug: str):
    statement, endorsers = approved_list(slug)
    return download(as_json(statement, endorsers), "application/json", statement, "json")


@bp.get("/statements/<slug>/endorsements.md")
@export_limit
def endorsements_markdown(slug: str):
    statement, endorsers = approved_list(slug)
    heading = "# " + escape_markdown(reader_text(statement).title)
    body = as_listing(statement, heading, endorsers, escape=escape_markdown)
    return download(body, "text/markdown", statement, "md")


@bp.get("/statements/<slug>/endorsements.txt")
@export_limit
def endorsements_text(slug: str):
    statement, endorsers = approved_list(slug)
    body = as_listing(statement, reader_text(statement).title, endorsers)
    return download(body, "text/plain", statement, "txt")


@bp.get("/statements/<slug>/endorsements.pdf")
@export_limit
def endorsements_pdf(slug: str):
    """Inline, so a browser shows it; saving it still offers the slug-based filename."""
    statement, pdf = cached_pdf(slug)
    return download(pdf, "application/pdf", statement, "pdf", "inline")


def _chosen_language() -> dict:
    """A partner who frames the widget with ?lang=km gets a link that opens the statement in Khmer."""
    chosen = request.args.get("lang")
    return {"lang": chosen} if chosen in current_app.config["LANGUAGES"] else {}


@bp.get("/statements/<slug>/embed")
def embed(slug: str):
    """A widget for partners' sites; the header lets the security headers allow framing here only."""
    statement = get_public_statement_or_404(slug)
    listed = Endorsement.select_public(statement.id).subquery()
    named = db.session.scalar(sa.select(sa.func.count()).select_from(listed))
    count = named + unnamed_count(statement)
    page = render_template(
        "exports/embed.html",
        statement=statement,
        text=reader_text(statement),
        count=count,
        statement_url=external_url("public.statement", slug=statement.slug, **_chosen_language()),
    )
    response = make_response(page)
    response.headers["X-Jointly-Embeddable"] = "1"
    return response
