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
from wtforms.validators import DataRequired, Length, Optional

from forms.hygiene import NoControlCharacters, name_hygiene, strip
from forms.signon import SignOnForm


class RejectForm(FlaskForm):
    reason_choice = SelectField("Reason", choices=[], validate_choice=False)
    reason = TextAreaField(
        "Reason (optional)",
        filters=[strip],
        validators=[Optional(), Length(max=1000), NoControlCharacters(allow_newlines=True)],
    )
    notify = BooleanField("Tell the endorser by email, with the reason")
    submit = SubmitField("Reject")

    def __init__(self, *args, reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_choice.choices = [SelectChoice("", "— pick a reason or write one —")] + [
            SelectChoice(reason.text, reason.text) for reason in reasons
        ]

    def full_reason(self) -> str | None:
        """The picked reason and the written one, together."""
        parts = [part for part in (self.reason_choice.data, self.reason.data) if part]
        return " — ".join(parts) or None


class BulkForm(RejectForm):
    """Select many entries (checkboxes named `ids`) and decide them in one request."""

    ids = SelectMultipleField("Selected", coerce=int, validate_choice=False)
    action = SelectField(
        "Action", choices=[SelectChoice("approve", "Approve"), SelectChoice("reject", "Reject")]
    )


class NoteForm(FlaskForm):
    body = TextAreaField(
        "Private note",
        filters=[strip],
        validators=[DataRequired(), Length(max=2000), NoControlCharacters(allow_newlines=True)],
        description="Seen by moderators only.",
    )
    submit = SubmitField("Add note")


class ReceivedEndorsementForm(SignOnForm):
    """An endorsement a moderator received by phone, on paper or in a meeting."""

    statement_id = SelectField("Statement", coerce=int, choices=[])
    source = SelectField(
        "Received by",
        choices=[
            SelectChoice("phone", "Phone"),
            SelectChoice("paper", "Paper form"),
            SelectChoice("meeting", "In a meeting"),
            SelectChoice("email", "Email"),
        ],
    )


class ReasonForm(FlaskForm):
    text = StringField(
        "Reason", filters=[strip], validators=[DataRequired(), Length(max=300), NoControlCharacters()]
    )
    submit = SubmitField("Add reason")


class EditDisplayForm(FlaskForm):
    """Moderators fix typos in what the public list shows."""

    organisation = StringField(
        "Organisation name",
        filters=[strip],
        validators=[DataRequired(), Length(max=200), *name_hygiene()],
    )
    acronym = StringField(
        "Acronym", filters=[strip], validators=[Optional(), Length(max=40), *name_hygiene()]
    )
    location = StringField(
        "Location", filters=[strip], validators=[Optional(), Length(max=120), *name_hygiene()]
    )
    submit = SubmitField("Save display name")


class NotificationSettingsForm(FlaskForm):
    notify_new_endorsements = BooleanField("Email me about each newly confirmed endorsement")
    submit = SubmitField("Save")
