"""Reading pages and mail in Khmer, for the test modules about languages: the Khmer of a message
straight from the catalogue (not from the app), and the check that a page is in Khmer."""

from functools import cache

from babel.messages.pofile import read_po

from tests.helpers import ROOT, parse, text_of, words_shown

CATALOGUE = ROOT / "translations" / "km" / "LC_MESSAGES" / "messages.po"
KM_STATEMENT = ROOT / "tests" / "data" / "2024-06-27-stop-reprisals-against-central.km.md"
PREY_LANG_KM = "សហគមន៍បណ្តាញព្រៃឡង់"


@cache
def catalogue():
    with CATALOGUE.open("rb") as file:
        return read_po(file, locale="km")


def as_tuple(value) -> tuple:
    """A message's id or strings, whether singular (str) or plural (tuple or list)."""
    return (value,) if isinstance(value, str) else tuple(value)


def km(msgid: str, **values) -> str:
    """The Khmer of an English message, straight from the catalogue (not from the app)."""
    message = catalogue()[msgid]  # a plural message is found by its singular
    text = as_tuple(message.string)[0]
    return text % values if values else text


def page_language(page) -> str:
    """The language the page says it is in (<html lang>)."""
    return parse(page).html["lang"]


def assert_khmer_page(page, *msgids: str) -> None:
    """<html lang="km">, each message shown in its Khmer form, and not in its English one."""
    assert page_language(page) == "km"
    shown = words_shown(page)
    for msgid in msgids:
        assert text_of(km(msgid)) in shown, f"no Khmer for {msgid!r}"
        assert text_of(msgid) not in shown, f"{msgid!r} is still in English"


def khmer_count_line(count: int) -> tuple[str, str]:
    """What `count_line` reads on a Khmer page that counts `count` endorsers."""
    return text_of(km("Endorsed by <strong>%(count)s</strong> organisation", count=count)), str(count)


def khmer_script_fields(page) -> list[str]:
    """The values a moderator's page marks as written in Khmer script (<dd lang="km">)."""
    return [dd.get_text() for dd in parse(page).find_all("dd", lang="km")]
