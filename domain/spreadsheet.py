"""Reading the spreadsheets coalitions already have: CSV as any spreadsheet program writes it,
and XLSX. A file becomes a `Sheet`: its header row and its rows, each with the line (CSV) or
row number (XLSX) a person sees when they open the file, so problems can be named by line."""

import codecs
import csv
import io
import warnings
import zipfile
from dataclasses import asdict, dataclass
from datetime import date, datetime, time

import openpyxl
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from openpyxl.utils.exceptions import InvalidFileException

from domain import RuleError

# Enough for any coalition's list; a bigger file is more likely a mistake (or a zip bomb).
MAX_ROWS = 5000
# How long a preview on the admin page may wait for its "Import" button.
PREVIEW_MAX_AGE_SECONDS = 4 * 3600
# The separators spreadsheets write: comma, semicolon (locales with a decimal comma), tab
# (Excel's "Unicode text"), and the pipe some exports use.
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# Excel on Windows writes "CSV (comma delimited)" in the system's code page; for the
# languages that write in Latin script that is Windows-1252. Khmer has no such code page.
LEGACY_ENCODING = "windows-1252"
# Files that are spreadsheets, but not in a form we read: what to do instead.
OTHER_FORMATS = {
    b"\xd0\xcf\x11\xe0": "xls",
    b"%PDF": "pdf",
}


class SpreadsheetError(RuleError):
    """The file cannot be read as a spreadsheet; the message says what to do instead."""


@dataclass
class Sheet:
    name: str
    headers: list[str]
    # (line number in the file, the row's cells, as many as there are headers)
    rows: list[tuple[int, list[str]]]
    # How the file was read, for the report: "UTF-8", "windows-1252", "xlsx"...
    encoding: str = "xlsx"
    delimiter: str | None = None


def read_spreadsheet(data: bytes, name: str, encoding: str | None = None) -> Sheet:
    """An uploaded or opened file as a Sheet; XLSX is told by its content, not its name."""
    if not data.strip():
        raise SpreadsheetError(_("The file is empty."))
    for magic, kind in OTHER_FORMATS.items():
        if data.startswith(magic):
            raise SpreadsheetError(_not_readable(kind))
    if data.startswith(b"PK\x03\x04"):
        return _sheet(name, _xlsx_rows(data), encoding="xlsx")
    text, used = decode(data, encoding)
    delimiter = sniff_delimiter(text)
    return _sheet(name, _csv_rows(text, delimiter), encoding=used, delimiter=delimiter)


def _not_readable(kind: str) -> str:
    if kind == "xls":
        return _("This is an old Excel file (.xls). Please save it as .xlsx or CSV and upload that.")
    return _("This is not a spreadsheet. Please upload a CSV or XLSX file.")


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the encoding it was read in: the one asked for, else a byte-order
    mark's, else UTF-8, else the legacy code page."""
    if encoding:
        return _decode_as(data, encoding), encoding
    guess = _guess_encoding(data)
    try:
        return _decode_as(data, guess), guess
    except SpreadsheetError as error:
        raise SpreadsheetError(_not_readable("binary")) from error


def _guess_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "UTF-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16"
    if b"\x00" in data[:4096]:
        # UTF-16 without a mark: ASCII letters leave every other byte empty.
        return "UTF-16-BE" if data[0] == 0 else "UTF-16-LE"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return LEGACY_ENCODING
    return "UTF-8"


def _decode_as(data: bytes, encoding: str) -> str:
    try:
        text = data.decode("utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding)
    except LookupError as error:
        raise SpreadsheetError(_("Unknown text encoding “%(encoding)s”.", encoding=encoding)) from error
    except UnicodeDecodeError as error:
        raise SpreadsheetError(
            _(
                "This file is not text in %(encoding)s, so it is not a CSV file we can read. "
                "Please save the spreadsheet as CSV UTF-8 or XLSX.",
                encoding=encoding,
            )
        ) from error
    text = text.removeprefix("\ufeff")
    sample = text[:65536]
    # A text file has no control characters but tabs and line ends; a binary file has many.
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n")
    if "\x00" in text or controls > len(sample) // 1000:
        raise SpreadsheetError(_not_readable("binary"))
    return text


def sniff_delimiter(text: str) -> str:
    """The separator that splits the first lines into the same number of columns, most of them.

    Each candidate is tried with the csv reader itself, so separators inside quoted cells
    ("Phnom Penh, Cambodia") do not count.
    """

    def score(delimiter: str) -> tuple[int, int]:
        records = [row for row in csv.reader(io.StringIO(text[:65536], newline=""), delimiter=delimiter)]
        records = [row for row in records[:50] if any(cell.strip() for cell in row)]
        if not records or len(records[0]) < 2:
            return (0, 0)
        return (sum(len(row) == len(records[0]) for row in records), len(records[0]))

    best = max(DELIMITERS, key=score)
    return best if score(best) > (0, 0) else ","


def _csv_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Records with the line each starts on (a cell may hold line breaks)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, line = [], 1
    try:
        for record in reader:
            rows.append((line, record))
            line = reader.line_num + 1
            _check_size(rows)
    except csv.Error as error:
        message = _("Line %(line)d cannot be read as CSV: %(problem)s", line=line, problem=error)
        raise SpreadsheetError(message) from error
    return rows


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """The first sheet's rows, with their row numbers, every cell as the text it shows."""
    with warnings.catch_warnings():
        # openpyxl warns about styles, validations and extensions it does not read; cells are all we need.
        warnings.simplefilter("ignore")
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
            raise SpreadsheetError(
                _("This is not a spreadsheet. Please upload a CSV or XLSX file.")
            ) from error
        try:
            rows = []
            for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
                rows.append((number, [cell_text(value) for value in values]))
                _check_size(rows)
        finally:
            book.close()
    return rows


def cell_text(value) -> str:
    """A cell's value as text: dates in ISO form, whole numbers without ".0" (phone numbers)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_size(rows: list) -> None:
    if len(rows) > MAX_ROWS + 1:
        raise SpreadsheetError(
            _("The file has more than %(count)d rows. Please split it into smaller files.", count=MAX_ROWS)
        )


def _sheet(name: str, records: list[tuple[int, list[str]]], **how) -> Sheet:
    """The first non-empty record is the header row; empty rows are dropped."""
    records = [(line, cells) for line, cells in records if any(cell.strip() for cell in cells)]
    if not records:
        raise SpreadsheetError(_("The file is empty."))
    (_line, headers), rows = records[0], records[1:]
    width = len(headers)
    padded = [(line, (cells + [""] * width)[:width]) for line, cells in rows]
    return Sheet(name=name, headers=[header.strip() for header in headers], rows=padded, **how)


def _carrier() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="jointly.endorsement-import")


def seal(sheet: Sheet, owner: str, statement_id: int) -> str:
    """The parsed file, signed (and compressed) for the preview page's hidden field.

    The file goes back to the admin who sent it and nowhere else: no copy of anyone's
    contact data waits on the server's disk or in the database for a button that may never
    be pressed, and any worker on any machine can take the confirmation.
    """
    return _carrier().dumps({"owner": owner, "statement": statement_id, "sheet": asdict(sheet)})


def unseal(token: str, owner: str) -> tuple[int, Sheet]:
    """The statement and the file of a preview made for `owner` in the last few hours."""
    expired = SpreadsheetError(_("This preview has expired or was changed. Please upload the file again."))
    try:
        payload = _carrier().loads(token or "", max_age=PREVIEW_MAX_AGE_SECONDS)
    except BadSignature as error:
        raise expired from error
    if payload.get("owner") != owner:
        raise expired
    sheet = Sheet(**payload["sheet"])
    sheet.rows = [(line, cells) for line, cells in sheet.rows]
    return payload["statement"], sheet
