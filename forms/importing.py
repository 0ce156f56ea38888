"""Importing a coalition's list: each row checked as a sign-on, and the admin page's two steps."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, FieldList, HiddenField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Optional

from forms.hygiene import NOT_A_CHOICE, NoControlCharacters, at_most, strip
from forms.moderation import ChooseStatementForm
from forms.signon import SignOnForm

SPREADSHEET_EXTENSIONS = ["csv", "tsv", "txt", "xlsx"]


class ImportRowForm(SignOnForm):
    """One row of an imported list, checked by the sign-on form's own fields and rules.

    Built with `formdata=MultiDict(row), meta={"csrf": False}`. The "authorised" tick is left
    out: the organiser who imports the list vouches for it (domain.importing). The spam traps
    and the button belong to the web form only.
    """

    authorised = None
    homepage = None
    shown_at = None
    submit = None


class ImportUploadForm(ChooseStatementForm):
    spreadsheet = FileField(
        _l("Spreadsheet"),
        validators=[
            FileRequired(_l("Please choose a file.")),
            FileAllowed(
                SPREADSHEET_EXTENSIONS,
                _l("Please choose a spreadsheet saved as CSV (.csv, .tsv, .txt) or Excel (.xlsx)."),
            ),
        ],
        description=_l(
            "A Google Forms export (File › Download › CSV or Microsoft Excel), or your own sheet."
        ),
    )
    submit = SubmitField(_l("Read the file and show a preview"))


class ImportPreviewForm(FlaskForm):
    """The preview's choices; the parsed file itself travels signed in `sheet`."""

    sheet = HiddenField(validators=[DataRequired()])
    columns = FieldList(SelectField(choices=[], invalid_choice_message=NOT_A_CHOICE))
    date_order = SelectField(
        _l("Dates like 03/04/2026 are written"),
        choices=[
            SelectChoice("auto", _l("Find out from the file")),
            SelectChoice("day-first", _l("Day first (03/04 is 3 April)")),
            SelectChoice("month-first", _l("Month first (03/04 is March 4)")),
        ],
        invalid_choice_message=NOT_A_CHOICE,
    )
    time_zone = StringField(
        _l("Time zone of the timestamps"),
        default="UTC",
        filters=[strip],
        validators=[Optional(), at_most(64), NoControlCharacters()],
        description=_l("As the spreadsheet writes them, e.g. Asia/Phnom_Penh."),
    )
    ask_to_confirm = BooleanField(
        _l("Mail each contact the usual request to confirm (in Khmer for names in Khmer script)"),
        description=_l("Unticked, nobody is mailed and the endorsements wait in the pending queue."),
    )
    preview = SubmitField(_l("Show the preview again"))
    submit = SubmitField(_l("Import these endorsements"))

    def set_columns(self, headers: list[str], choices: list[SelectChoice], chosen: dict[int, str]) -> None:
        """One select per column of the file, showing the field it fills ("" for none)."""
        while len(self.columns) < len(headers):
            self.columns.append_entry(chosen.get(len(self.columns), ""))
        for index, select in enumerate(self.columns):
            select.choices = choices
            select.label.text = headers[index] if index < len(headers) else ""
