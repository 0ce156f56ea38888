from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forms.hygiene import name_hygiene, strip


class RejectForm(FlaskForm):
    reason = TextAreaField("Reason (optional)", filters=[strip], validators=[Optional(), Length(max=1000)])
    notify = BooleanField("Tell the endorser by email, with the reason")
    submit = SubmitField("Reject")


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
