"""What the columns of an imported sheet mean: the headers Google Forms and hand-made sheets
use, in English and Khmer, and the timestamps and yes/no answers they hold.

The target fields are the sign-on form's own field names, plus `submitted_at` for the
"Timestamp" column, so a row can be checked by the sign-on form itself.
"""

import re
import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _

from domain import RuleError
from domain.endorsements import SUBMITTED_FIELDS

SUBMITTED_AT = "submitted_at"
# The sign-on form's fields a row may fill. Not `authorised` (see domain.importing), nor `updates`:
# news is sent only to those who asked for it themselves (the personal link offers it).
FIELDS = tuple(name for name in SUBMITTED_FIELDS if name not in ("authorised", "updates"))
TARGETS = (SUBMITTED_AT, *FIELDS)

# Headers recognised for each field, compared without case, spaces or punctuation. Each
# field's own name is recognised too (a list exported from Jointly comes back as it left).
HEADERS = {
    SUBMITTED_AT: (
        "Timestamp", "Time stamp", "Submitted", "Submitted at", "Submission date", "Date submitted",
        "Date", "ត្រាពេលវេលា", "ពេលវេលា", "កាលបរិច្ឆេទ", "ថ្ងៃខែឆ្នាំ",
    ),
    "organisation": (
        "Organisation", "Organization", "Organisation name", "Organization name",
        "Name of organisation", "Name of organization", "Name of the organisation",
        "Name of the organization", "Name of your organisation", "Name of your organization",
        "Organisation name in English", "Organization name in English", "Organisation name (English)",
        "Organization name (English)", "Organisation name in Latin script", "Institution",
        "Community name", "Name of community", "ឈ្មោះអង្គការ", "អង្គការ", "ឈ្មោះស្ថាប័ន", "ស្ថាប័ន",
        "ឈ្មោះសហគមន៍", "ឈ្មោះអង្គការជាភាសាអង់គ្លេស", "ឈ្មោះអង្គការជាអក្សរឡាតាំង",
    ),
    "organisation_km": (
        "Name in Khmer script", "Name in Khmer", "Khmer name", "Organisation name in Khmer",
        "Organization name in Khmer", "Organisation name in Khmer script",
        "Organization name in Khmer script", "Organisation name (Khmer)", "Organization name (Khmer)",
        "ឈ្មោះជាអក្សរខ្មែរ", "ឈ្មោះជាភាសាខ្មែរ", "ឈ្មោះអង្គការជាអក្សរខ្មែរ", "ឈ្មោះអង្គការជាភាសាខ្មែរ",
    ),
    "acronym": ("Acronym", "Abbreviation", "Short name", "អក្សរកាត់", "ឈ្មោះកាត់", "ឈ្មោះអក្សរកាត់"),
    "location": (
        "Location", "Province", "City", "Province/City", "Province or city", "Town", "Based in",
        "ខេត្ត", "ទីតាំង", "ខេត្ត/ក្រុង", "ខេត្តក្រុង", "រាជធានី/ខេត្ត",
    ),
    "website": (
        "Website", "Web site", "Web", "Website URL", "URL", "Web address",
        "គេហទំព័រ", "វេបសាយ", "វែបសាយ",
    ),
    "contact_name": (
        "Contact person", "Contact name", "Contact", "Name of contact person",
        "Name of the contact person", "Contact person name", "Your name", "Full name", "Focal person",
        "អ្នកទំនាក់ទំនង", "ឈ្មោះអ្នកទំនាក់ទំនង", "ឈ្មោះរបស់អ្នក", "ឈ្មោះពេញ",
    ),
    "email": (
        "Email", "E-mail", "Email address", "E-mail address", "Contact email", "Email of contact person",
        "អ៊ីមែល", "អ៊ីម៉ែល", "អាសយដ្ឋានអ៊ីមែល", "អាសយដ្ឋានអ៊ីម៉ែល",
    ),
    "phone": (
        "Phone", "Phone number", "Telephone", "Telephone number", "Tel", "Mobile", "Mobile number",
        "Contact number", "Phone no", "លេខទូរស័ព្ទ", "លេខទូរសព្ទ", "ទូរស័ព្ទ", "ទូរសព្ទ",
    ),
    "message": (
        "Message", "Message to the moderators", "Comment", "Comments", "Note", "Notes", "Remarks",
        "សារ", "មតិ", "មតិយោបល់", "សារផ្ញើទៅអ្នកត្រួតពិនិត្យ",
    ),
    "anonymous": (
        "Anonymous", "Do not publish our name", "Count us, but do not publish our name",
        "Not to be named", "អនាមិក", "កុំផ្សព្វផ្សាយឈ្មោះ",
    ),
}  # fmt: skip

# A "no" in the `anonymous` column; anything else that is not empty asks not to be named
# (a Google Forms checkbox exports the ticked option's text). When in doubt, the name is
# not published: a moderator can still publish it, a published name cannot be unread.
NO_WORDS = {"", "no", "n", "false", "0", "non", "ទេ", "មិន", "អត់"}

ORDERS = ("auto", "day-first", "month-first")
_YEAR_FIRST = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?P<time>.*)$")
_YEAR_LAST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?P<time>.*)$")
_TIME = re.compile(
    r"^[\sT,]*(?:(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([ap])?\.?\s*(?:m\.?)?)?\s*$", re.I
)


def normalise(header: str) -> str:
    """Case, width, spaces, punctuation and invisible marks (Khmer's zero-width space) folded away;
    Khmer vowel signs and subscripts are kept."""
    text = unicodedata.normalize("NFKC", header or "").casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "ZPSC")


KNOWN = {normalise(header): target for target, headers in HEADERS.items() for header in headers} | {
    normalise(target): target for target in TARGETS
}


def recognise(headers: list[str]) -> dict[str, int]:
    """Each target field's column, by its header; the first column wins when two mean the same."""
    mapping: dict[str, int] = {}
    for index, header in enumerate(headers):
        target = KNOWN.get(normalise(header))
        if target and target not in mapping:
            mapping[target] = index
    return mapping


def apply_overrides(headers: list[str], mapping: dict[str, int], overrides: dict[str, str]) -> dict[str, int]:
    """`--map FIELD=HEADER` on top of the recognised columns; `FIELD=` leaves a field out."""
    mapping = dict(mapping)
    by_header = {normalise(header): index for index, header in reversed(list(enumerate(headers)))}
    for target, header in overrides.items():
        if target not in TARGETS:
            raise RuleError(_("There is no field “%(field)s” to fill.", field=target))
        if not header.strip():
            mapping.pop(target, None)
            continue
        if normalise(header) not in by_header:
            raise RuleError(_("The file has no column “%(header)s”.", header=header))
        mapping = {name: index for name, index in mapping.items() if index != by_header[normalise(header)]}
        mapping[target] = by_header[normalise(header)]
    return mapping


def mapping_from_choices(choices: list[str]) -> dict[str, int]:
    """The page's one choice per column (a field, or "" for none) as a mapping."""
    mapping: dict[str, int] = {}
    for index, target in enumerate(choices):
        if not target:
            continue
        if target in mapping:
            raise RuleError(_("Two columns are set to the same field, “%(field)s”.", field=target))
        mapping[target] = index
    return mapping


def is_yes(answer: str) -> bool:
    folded = normalise(answer)
    # A tick mark (✓) is a symbol, which `normalise` folds away.
    return folded not in NO_WORDS if folded else bool((answer or "").strip())


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo((name or "UTC").strip())
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise RuleError(
            _("Unknown time zone “%(zone)s”; use a name like Asia/Phnom_Penh or UTC.", zone=name)
        ) from error


def date_order(texts: list[str], requested: str = "auto") -> tuple[str, bool]:
    """Whether dates like 03/04/2026 are day-first or month-first, and whether that was a guess.

    Google Forms writes them in the sheet's locale. One date whose first number is above 12
    settles it for the whole file; when none does, month-first (Google's default locale) is
    assumed and reported as a guess, for the organiser to check in the report or preview.
    """
    if requested != "auto":
        return requested, False
    pairs = [(int(m[1]), int(m[2])) for m in map(_YEAR_LAST.match, texts) if m]
    day_first = any(first > 12 for first, _second in pairs)
    month_first = any(second > 12 for _first, second in pairs)
    if day_first and month_first:
        raise RuleError(_("The timestamps mix day-first and month-first dates; choose the order."))
    if day_first or month_first:
        return ("day-first" if day_first else "month-first"), False
    return "month-first", bool(pairs)


def parse_timestamp(text: str, order: str, zone: ZoneInfo) -> datetime:
    """A timestamp as Google Forms or a person writes it, as naive UTC; ValueError if unreadable."""
    text = " ".join(text.split())
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = _parse_numeric(text, order)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).replace(tzinfo=None)


def _parse_numeric(text: str, order: str) -> datetime:
    if match := _YEAR_FIRST.match(text):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    elif match := _YEAR_LAST.match(text):
        first, second, year = int(match[1]), int(match[2]), int(match[3])
        day, month = (first, second) if order == "day-first" else (second, first)
    else:
        raise ValueError(text)
    clock = _TIME.match(match["time"])
    if clock is None:
        raise ValueError(text)
    hour, minute, second = (int(clock[i] or 0) for i in (1, 2, 3))
    if clock[4]:
        hour = hour % 12 + (12 if clock[4].lower() == "p" else 0)
    return datetime(year, month, day, hour, minute, second)
