"""The Khmer catalogue follows docs/khmer-glossary.md: the terms it chose, and none of those it
says to avoid, in every entry, today's and those added later."""

import re

import pytest

from tests.helpers import ROOT
from tests.khmer import as_tuple, catalogue

GLOSSARY = ROOT / "docs" / "khmer-glossary.md"
TERMS = [
    "endorse",
    "endorsement",
    "organisation that endorsed",
    "statement",
    "moderator",
    "review",
    "approve",
    "reject",
    "pending",
    "confirm",
    "withdraw",
    "publish / show publicly",
    "contact person",
]


def entries() -> list[tuple[str, str]]:
    """(English, Khmer) for every entry; a plural entry once, by its singular."""
    return [(as_tuple(message.id)[0], as_tuple(message.string)[0]) for message in catalogue() if message.id]


def test_the_glossary_names_every_term():
    rows = [line for line in GLOSSARY.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    defined = {row.split("|")[1].strip().split(" (")[0] for row in rows}
    assert set(TERMS) <= defined, set(TERMS) - defined


@pytest.mark.parametrize(
    ("avoided", "why"),
    [
        (
            "ផ្សព្វផ្សាយ",
            "'disseminate': names are shown publicly (បង្ហាញជាសាធារណៈ), a statement is published (បោះផ្សាយ)",
        ),
        ("ពួកយើង", "colloquial 'we': an organisation says យើងខ្ញុំ"),
        ("ពួកគេ", "'they' for one person or one endorsement"),
        ("សូមផ្តល់", "'please give' word for word: forms ask with សូមបញ្ចូល"),
        ("អ្នកគាំទ្រ", "'supporter': the organisation that endorsed, or the contact person"),
    ],
    ids=["disseminate", "colloquial-we", "they", "please-give", "supporter"],
)
def test_no_entry_uses_a_term_the_glossary_avoids(avoided, why):
    found = [english for english, khmer in entries() if avoided in khmer]
    assert not found, f"{avoided} ({why}) in: {found}"


def test_instead_of_only_where_the_english_says_instead():
    wrong = [english for english, khmer in entries() if "ជំនួសឱ្យ" in khmer and "instead" not in english]
    assert not wrong, f"ជំនួសឱ្យ means 'instead of'; 'on behalf of' is ក្នុងនាម: {wrong}"


def test_on_behalf_of_is_khnong_neam():
    english = re.compile(r"on behalf of|signed .* again for|sent by Jointly for")
    wrong = [e for e, khmer in entries() if english.search(e) and "ក្នុងនាម" not in khmer]
    assert not wrong, wrong


def test_withdrawing_is_taking_back_not_removing():
    wrong = [e for e, khmer in entries() if re.search(r"\bwithdr[ae]w", e, re.I) and "ដកចេញ" in khmer]
    assert not wrong, f"ដកចេញ reads as 'removed'; withdraw is ដក…វិញ: {wrong}"
    assert dict(entries())["withdrawn"] == "បានដកវិញ"


def test_form_errors_ask_with_please_enter():
    wrong = [e for e, khmer in entries() if e.startswith("Please give") and not khmer.startswith("សូមបញ្ចូល")]
    assert not wrong, wrong


def test_privacy_help_says_not_shown_publicly():
    for english, khmer in entries():
        if re.search(r"\b(not published|never published|not publish)\b", english, re.I):
            assert "បង្ហាញ" in khmer and "សាធារណៈ" in khmer, english


def test_mails_open_with_a_courteous_greeting():
    translated = dict(entries())
    for greeting in ("Hello %(name)s,", "Hello,"):
        assert translated[greeting].startswith("ជម្រាបសួរ លោក/លោកស្រី"), greeting
