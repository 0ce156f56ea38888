from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Email, Length, Optional, Regexp

from forms.hygiene import NoControlCharacters, name_hygiene, strip


class SignOnForm(FlaskForm):
    """An organisation endorses a statement; contact fields are for moderators only."""

    organisation = StringField(
        "Organisation name",
        filters=[strip],
        validators=[DataRequired("Please give the organisation's name."), Length(max=200), *name_hygiene()],
        description="As it should appear in the public list.",
        render_kw={"autocomplete": "organization"},
    )
    acronym = StringField(
        "Acronym",
        filters=[strip],
        validators=[Optional(), Length(max=40), *name_hygiene()],
        description="Optional, e.g. CCHR.",
    )
    location = StringField(
        "Location",
        filters=[strip],
        validators=[Optional(), Length(max=120), *name_hygiene()],
        description="Optional: province or city, e.g. Koh Kong.",
        render_kw={"autocomplete": "address-level1"},
    )
    website = URLField(
        "Website",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=300),
            URL(message="Please give a full web address, starting with https://."),
            NoControlCharacters(),
        ],
        description="Optional.",
        render_kw={"autocomplete": "url", "placeholder": "https://"},
    )
    contact_name = StringField(
        "Contact person",
        filters=[strip],
        validators=[DataRequired("Please tell us who to contact."), Length(max=120), *name_hygiene()],
        description="Not published. Only moderators see it.",
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        "Email",
        filters=[strip],
        validators=[
            DataRequired("Please give an email address."),
            Length(max=254),
            Email(message="Please give a valid email address, like name@example.org."),
        ],
        description="Not published. We use it to confirm the endorsement.",
        render_kw={"autocomplete": "email"},
    )
    phone = TelField(
        "Phone",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=40),
            # A leading + is normal here; exports neutralise formulas cell by cell.
            Regexp(r"^[0-9+()./\s-]*$", message="Please use digits, spaces and + ( ) - only."),
        ],
        description="Optional. Not published.",
        render_kw={"autocomplete": "tel"},
    )
    message = TextAreaField(
        "Message to the moderators",
        filters=[strip],
        validators=[Optional(), Length(max=2000), NoControlCharacters(allow_newlines=True)],
        description="Optional. Not published.",
    )
    authorised = BooleanField(
        "I am authorised to endorse this statement on behalf of this organisation.",
        validators=[DataRequired("Please confirm that you may sign for this organisation.")],
    )
    submit = SubmitField("Endorse this statement")
    # Spam traps: a field people never see (bots fill it in) and the signed time the form was shown.
    homepage = StringField("Leave this field empty", render_kw={"tabindex": "-1", "autocomplete": "off"})
    shown_at = HiddenField()


class CorrectionForm(FlaskForm):
    """The endorser asks for the public name to be written differently."""

    organisation = StringField(
        "Organisation name",
        filters=[strip],
        validators=[DataRequired("Please give the organisation's name."), Length(max=200), *name_hygiene()],
    )
    acronym = StringField(
        "Acronym", filters=[strip], validators=[Optional(), Length(max=40), *name_hygiene()]
    )
    location = StringField(
        "Location", filters=[strip], validators=[Optional(), Length(max=120), *name_hygiene()]
    )
    note = TextAreaField(
        "Note to the moderators",
        filters=[strip],
        validators=[Optional(), Length(max=1000), NoControlCharacters(allow_newlines=True)],
    )
    submit = SubmitField("Ask for this correction")
