"""Validators that keep names safe to publish, print, mail and open in a spreadsheet."""

import re
import unicodedata

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms.validators import Length, StopValidation, ValidationError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The Khmer block and Khmer symbols.
KHMER_LETTER = re.compile(r"[\u1780-\u17ff\u19e0-\u19ff]")
# Invisible characters that reorder the text around them (bidi embeddings, overrides, isolates
# and marks) or start a new line (line and paragraph separators): in a name they disguise what
# is shown, or forge extra lines in a text export or a mail. Khmer's own invisible characters
# (zero-width space and non-joiner) are not among them.
LAYOUT_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u2028\u2029"
    + "".join(map(chr, range(0x202A, 0x202F)))
    + "".join(map(chr, range(0x2066, 0x206A)))
)
# What a browser or a mail program takes for a link (see `contains_web_address`).
WEB_ADDRESS = re.compile(
    r"""
    ://                                           # any scheme with an authority: https://, ftp://
    | \b(?:mailto|javascript|vbscript|data):(?=\S)  # schemes without one, glued to what follows
    | \bwww\.
    | \b\d{1,3}(?:\.\d{1,3}){3}\b                   # an IPv4 address
    | [^\W_]\.[^\W\d_]{2,}(?!\w)                     # a domain's last dot: letter or digit, dot, 2+ letters
    """,
    re.IGNORECASE | re.VERBOSE,
)
# The dots IDNA reads as the dot between labels; NFKC turns the full-width one into '.' but
# leaves the ideographic one.
DOMAIN_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
# A scheme at the start of a website (no dot in it, and not a host's ':443' port).
SCHEME = re.compile(r"^([a-z][a-z0-9+-]*):(?!\d)", re.IGNORECASE)
WEB_SCHEMES = {"http", "https"}


class AtMost(Length):
    """Length(max=...) that tells instead of cutting: browsers cut pasted text at a `maxlength`
    attribute without a word (a 237-character name was published cut at 200), so the field
    gets none, and the server's message says how long the text is."""

    def __init__(self, characters: int):
        # WTForms has no Khmer catalogue: the message is ours, translated here.
        message = _l("Please shorten this to %(max)d characters or fewer; it has %(length)d.")
        super().__init__(max=characters, message=message)
        self.field_flags.pop("maxlength", None)


def at_most(characters: int) -> Length:
    return AtMost(characters)


def at_least(characters: int) -> Length:
    """Length(min=...) with a translated message, like `at_most`."""
    return Length(min=characters, message=_l("Please use at least %(min)d characters."))


def with_limit(description, characters: int) -> LazyString:
    """A field's help text followed by its limit, so the limit is known before it is reached."""
    limit = _l("Up to %(max)d characters.", max=characters)
    return LazyString(lambda: f"{description} {limit}")


# For a choice that is not among the options (only a tampered form sends one); WTForms'
# own wording would stay in English.
NOT_A_CHOICE = _l("Please choose one of the options.")


def strip(value):
    return value.strip() if isinstance(value, str) else value


def ascii_digits(value):
    """A number typed in Khmer digits (០–៩), or any other script's, or full width, as 0–9."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFKC", value)
    return "".join(str(unicodedata.digit(ch)) if unicodedata.category(ch) == "Nd" else ch for ch in value)


def as_web_address(value):
    """A website as people type it ('tsfn.org.kh', 'www.example.org') gets https:// in front;
    a value with another scheme keeps it, for the validator to refuse."""
    if not value or not isinstance(value, str):
        return value
    if value.startswith("//"):
        return "https:" + value
    return value if SCHEME.match(value) else "https://" + value


def has_control_characters(text: str, allow_newlines: bool = False) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    # Cc are control characters; Cs lone surrogates; Co private use; Cn is left alone
    # because Khmer and other scripts gain new code points faster than Python's tables.
    return any(unicodedata.category(ch) in {"Cc", "Cs"} and ch not in allowed for ch in text)


def without_format_characters(text: str) -> str:
    """Drop the invisible format characters (Cf: zero-width space and joiners, soft hyphen...)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def visible_form(text: str) -> str:
    """The text as it looks: compatibility forms folded (full width, ligatures), invisibles gone."""
    return without_format_characters(unicodedata.normalize("NFKC", text))


def contains_web_address(text: str) -> bool:
    """Whether a mail program or a browser would make a link of some part of `text`.

    Any scheme counts, and so does any dotted domain, found by its last dot: a letter or digit,
    the dot, then two or more letters ending the word ('secure-login.co/verify', 'evil。com',
    full-width 'ｅｖｉｌ．ｃｏｍ', after NFKC and with the dots IDNA reads as dots). Abbreviations
    pass, because a space follows their dot ('St. John's', 'Dr. Sok', 'No. 5 Union') or one
    letter does ('U.S.-Cambodia Forum', 'Ph.D.'); 'St.John's' typed without the space does not,
    and the message says to add it.
    """
    return bool(WEB_ADDRESS.search(visible_form(text).translate(DOMAIN_DOTS)))


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet would run `text` as a formula: = + - @ first once the invisible and
    space characters in front are gone and full-width forms folded ('＝', U+200B then '='),
    or a tab or carriage return first (OWASP's CSV injection list)."""
    if text.startswith(FORMULA_PREFIXES):
        return True
    shown = visible_form(text).lstrip()
    return shown.startswith(FORMULA_PREFIXES)


class NoFormulaPrefix:
    """A cell starting with = + - @ runs as a formula when the list is opened in a spreadsheet."""

    def __call__(self, form, field):
        if field.data and starts_like_formula(field.data):
            raise ValidationError(_l("Please start with a letter or number, not = + - or @."))


class NoUrl:
    """Names with links in them are spam, or phishing through our own mails."""

    def __call__(self, form, field):
        if field.data and contains_web_address(field.data):
            raise ValidationError(
                _l(
                    "Please put the web address in the Website field. (If this is not a web "
                    "address, put a space after the dot.)"
                )
            )


class NoControlCharacters:
    def __init__(self, allow_newlines: bool = False):
        self.allow_newlines = allow_newlines

    def __call__(self, form, field):
        if field.data and has_control_characters(field.data, self.allow_newlines):
            raise ValidationError(_l("This contains invisible control characters; please retype it."))


class NoLayoutControls:
    """No bidi controls or line separators: see `LAYOUT_CONTROLS`."""

    def __call__(self, form, field):
        if field.data and not LAYOUT_CONTROLS.isdisjoint(field.data):
            raise ValidationError(
                _l(
                    "This contains invisible characters that change the direction of the text "
                    "or start a new line; please retype it."
                )
            )


class WebPage:
    """A website is a web page: javascript:, data:, ftp:// and every other scheme are refused."""

    def __call__(self, form, field):
        scheme = SCHEME.match(field.data or "")
        if scheme and scheme[1].lower() not in WEB_SCHEMES:
            # Stop here: "enter a web address" from the URL check would only confuse.
            raise StopValidation(
                _l("Only a web page can be linked here: please enter an address like example.org.kh.")
            )


class KhmerScript:
    """The field for the name in Khmer script must hold some Khmer letters."""

    def __call__(self, form, field):
        if field.data and not KHMER_LETTER.search(field.data):
            raise ValidationError(_l("Please write this name in Khmer script, or leave the field empty."))


def name_hygiene():
    return [NoControlCharacters(), NoLayoutControls(), NoFormulaPrefix(), NoUrl()]
