"""The PDF of a list as people print it: no glyph drawn as a box (emoji come from the colour
emoji font, digits stay in the text font), and no page that holds only a footer: the list's
address is in every page's margin, not a paragraph that can fall onto a page of its own."""

import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from models import EndorsementStatus
from tests.helpers import ROOT

ARTIFACTS = ROOT / "test-artifacts"
EMOJI_NAMES = ["Fishers 🐟 Network", "Women’s Voice 🌾 Group"]
FOOTER = re.compile(r"http://jointly\.test/statements/\S+|\d+ / \d+")


@pytest.fixture
def long_list(shared_statement, make_endorsement):
    """The shared statement's 43 endorsers and `extra` more, two of them with an emoji."""

    def make(extra: int) -> str:
        names = [*EMOJI_NAMES, *(f"Added Organisation Number {n}" for n in range(extra - 2))]
        for number, name in enumerate(names):
            make_endorsement(
                shared_statement, EndorsementStatus.APPROVED, organisation=name, email=f"{number}@example.org"
            )
        return shared_statement.slug

    return make


def pages_of(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def text_by_font(data: bytes) -> dict[str, str]:
    """The text each embedded font drew, e.g. {'DejaVu-Serif': '…', 'Noto-Color-Emoji': '🐟🌾'}."""
    drawn: dict[str, str] = {}

    def visit(text, _cm, _tm, font, _size):
        if font and text.strip():
            name = str(font["/BaseFont"]).split("+")[-1]
            drawn[name] = drawn.get(name, "") + text

    for page in PdfReader(io.BytesIO(data)).pages:
        page.extract_text(visitor_text=visit)
    return drawn


@pytest.mark.parametrize("extra", [2, 3, 7])  # 45, 46 and 50 names: 46 to 50 once made a footer-only page
def test_no_page_holds_only_the_footer(client, long_list, extra):
    slug = long_list(extra)
    pages = pages_of(client.get(f"/statements/{slug}/endorsements.pdf").data)
    assert len(pages) == 2
    for number, text in enumerate(pages, start=1):
        assert f"http://jointly.test/statements/{slug}" in text, f"page {number} has no address"
        assert FOOTER.sub("", text).strip(), f"page {number} holds only its footer: {text!r}"
    assert f"{43 + extra}." in pages[-1]


def test_emoji_are_drawn_in_the_emoji_font_and_digits_are_not(client, long_list):
    slug = long_list(4)
    data = client.get(f"/statements/{slug}/endorsements.pdf").data
    drawn = text_by_font(data)
    emoji = drawn.get("Noto-Color-Emoji", "")
    assert "🐟" in emoji and "🌾" in emoji, drawn.keys()
    assert not re.search(r"[0-9A-Za-z]", emoji), f"the emoji font drew text: {emoji!r}"
    assert "🐟" not in "".join(text for font, text in drawn.items() if font != "Noto-Color-Emoji")

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "statement-47-names.pdf").write_bytes(data)
    if shutil.which("pdftoppm"):  # for a person to look at: a missing glyph is a box there
        command = "pdftoppm -png -r 80 -f 2 -l 2 -singlefile statement-47-names.pdf statement-47-names-page-2"
        subprocess.run(command.split(), cwd=ARTIFACTS, check=True, timeout=60)
        assert (ARTIFACTS / "statement-47-names-page-2.png").stat().st_size > 10_000
