"""Turning stored Markdown into HTML that is safe to put on a page."""

import markdown
import nh3
from flask import g
from flask_babel import get_locale, get_translations
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "code",
    "pre",
}


def render_markdown(text: str) -> Markup:
    """Markdown is written by moderators, but still goes through the sanitiser."""
    html = markdown.markdown(text or "", output_format="html")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Markup(cleaned)


def install_template_gettext(app) -> None:
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
