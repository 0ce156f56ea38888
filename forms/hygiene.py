"""Validators that keep names safe to publish, print and open in a spreadsheet."""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms.validators import Length, ValidationError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The Khmer block and Khmer symbols.
KHMER_LETTER = re.compile(r"[\u1780-\u17ff\u19e0-\u19ff]")
URL_LIKE = re.compile(r"(https?://|www\.|\b[\w-]+\.(com|org|net|info|xyz|ru|io|kh)\b)", re.I)


def at_most(characters: int) -> Length:
    """Length(max=...) with WTForms' own message, translated here: WTForms has no Khmer catalogue."""
    return Length(max=characters, message=_l("Field cannot be longer than %(max)d characters."))


def at_least(characters: int) -> Length:
    """Length(min=...) with a translated message, like `at_most`."""
    return Length(min=characters, message=_l("Please use at least %(min)d characters."))


# For a choice that is not among the options (only a tampered form sends one); WTForms'
# own wording would stay in English.
NOT_A_CHOICE = _l("Please choose one of the options.")


def strip(value):
    return value.strip() if isinstance(value, str) else value


def has_control_characters(text: str, allow_newlines: bool = False) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    # Cc are control characters; Cs lone surrogates; Co private use; Cn is left alone
    # because Khmer and other scripts gain new code points faster than Python's tables.
    return any(unicodedata.category(ch) in {"Cc", "Cs"} and ch not in allowed for ch in text)


class NoFormulaPrefix:
    """A cell starting with = + - @ runs as a formula when the list is opened in a spreadsheet."""

    def __call__(self, form, field):
        if field.data and field.data.startswith(FORMULA_PREFIXES):
            raise ValidationError(_l("Please start with a letter or number, not = + - or @."))


class NoUrl:
    """Names with links in them are almost always spam."""

    def __call__(self, form, field):
        if field.data and URL_LIKE.search(field.data):
            raise ValidationError(_l("Please leave web addresses out of this field."))


class NoControlCharacters:
    def __init__(self, allow_newlines: bool = False):
        self.allow_newlines = allow_newlines

    def __call__(self, form, field):
        if field.data and has_control_characters(field.data, self.allow_newlines):
            raise ValidationError(_l("This contains invisible control characters; please retype it."))


class KhmerScript:
    """The field for the name in Khmer script must hold some Khmer letters."""

    def __call__(self, form, field):
        if field.data and not KHMER_LETTER.search(field.data):
            raise ValidationError(_l("Please write this name in Khmer script, or leave the field empty."))


def name_hygiene():
    return [NoControlCharacters(), NoFormulaPrefix(), NoUrl()]
