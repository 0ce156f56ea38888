from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional

from forms.hygiene import (
    NOT_A_CHOICE,
    NoControlCharacters,
    at_most,
    strip,
)
from forms.signon import PublicNameForm, SignOnForm


class RejectForm(FlaskForm):
    # Free choice (validate_choice=False) so a reason retired since the page was shown still
    # counts, which means the value is text from the client and gets the same checks as text.
    reason_choice = SelectField(
        _l("Reason"),
        choices=[],
        validate_choice=False,
        filters=[strip],
        validators=[Optional(), at_most(300), NoControlCharacters()],
    )
    reason = TextAreaField(
        _l("Reason (optional)"),
        filters=[strip],
        validators=[Optional(), at_most(1000), NoControlCharacters(allow_newlines=True)],
    )
    notify = BooleanField(_l("Tell the endorser by email, with the reason"))
    submit = SubmitField(_l("Reject"))

    def __init__(self, *args, reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_choice.choices = [SelectChoice("", _l("— pick a reason or write one —"))] + [
            SelectChoice(reason.text, reason.text) for reason in reasons
        ]

    def full_reason(self) -> str | None:
        """The picked reason and the written one, together."""
        parts = [part for part in (self.reason_choice.data, self.reason.data) if part]
        return " — ".join(parts) or None


class BulkForm(RejectForm):
    """Select many entries (checkboxes named `ids`) and decide them in one request."""

    ids = SelectMultipleField(
        _l("Selected"),
        coerce=int,
        validate_choice=False,
        invalid_value_message=_l("Please select endorsements from the list."),
    )
    action = SelectField(
        _l("Action"),
        choices=[SelectChoice("approve", _l("Approve")), SelectChoice("reject", _l("Reject"))],
        invalid_choice_message=NOT_A_CHOICE,
    )


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Private note"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please write the note.")),
            at_most(2000),
            NoControlCharacters(allow_newlines=True),
        ],
        description=_l("Seen by moderators only."),
    )
    submit = SubmitField(_l("Add note"))


class ChooseStatementForm(FlaskForm):
    """A form that starts by choosing the statement (of every status) its endorsements are for."""

    # News goes only to a confirmed address that asked for it itself, never on someone's behalf.
    updates = None

    statement_id = SelectField(
        _l("Statement"),
        coerce=int,
        choices=[],
        invalid_value_message=NOT_A_CHOICE,
        invalid_choice_message=NOT_A_CHOICE,
    )

    def offer(self, statements) -> None:
        self.statement_id.choices = [SelectChoice(s.id, s.title) for s in statements]


class ReceivedEndorsementForm(ChooseStatementForm, SignOnForm):
    """An endorsement a moderator received by phone, on paper or in a meeting."""

    source = SelectField(
        _l("Received by"),
        choices=[
            SelectChoice("phone", _l("By phone")),
            SelectChoice("paper", _l("On a paper form")),
            SelectChoice("meeting", _l("In a meeting")),
            SelectChoice("email", _l("By email")),
        ],
        invalid_choice_message=NOT_A_CHOICE,
    )


class ReasonForm(FlaskForm):
    text = StringField(
        _l("Reason"),
        filters=[strip],
        validators=[DataRequired(_l("Please write the reason.")), at_most(300), NoControlCharacters()],
    )
    submit = SubmitField(_l("Add reason"))


class EditDisplayForm(PublicNameForm):
    """Moderators fix typos in what the public list shows, in either script."""

    submit = SubmitField(_l("Save display name"))


class NotificationSettingsForm(FlaskForm):
    notify_new_endorsements = BooleanField(_l("Email me about each newly confirmed endorsement"))
    submit = SubmitField(_l("Save"))


class DeclineCorrectionForm(FlaskForm):
    """Keep the name as it is; the endorser is told, with the reason if one is given."""

    reason = TextAreaField(
        _l("Reason (optional, sent to the endorser)"),
        filters=[strip],
        validators=[Optional(), at_most(1000), NoControlCharacters(allow_newlines=True)],
    )
    submit = SubmitField(_l("Decline the correction"))
