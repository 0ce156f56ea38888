from flask_babel import lazy_gettext as _l
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
from wtforms.validators import URL, DataRequired, Email, Optional, Regexp

from forms.hygiene import KhmerScript, NoControlCharacters, at_most, name_hygiene, strip


class PublicNameForm(FlaskForm):
    """The fields the public list prints, declared once for sign-on, correction and moderator edit."""

    organisation = StringField(
        _l("Organisation name"),
        filters=[strip],
        validators=[DataRequired(_l("Please give the organisation's name.")), at_most(200), *name_hygiene()],
        description=_l("As it should appear in the public list."),
        render_kw={"autocomplete": "organization"},
    )
    # The name in Khmer script, beside the one in Latin script.
    organisation_km = StringField(
        _l("Name in Khmer script"),
        filters=[strip],
        validators=[Optional(), at_most(200), *name_hygiene(), KhmerScript()],
        description=_l("Optional. The list shows it beside the name above."),
        render_kw={"lang": "km"},
    )
    acronym = StringField(
        _l("Acronym"),
        filters=[strip],
        validators=[Optional(), at_most(40), *name_hygiene()],
        description=_l("Optional, e.g. CCHR."),
    )
    location = StringField(
        _l("Location"),
        filters=[strip],
        validators=[Optional(), at_most(120), *name_hygiene()],
        description=_l("Optional: province or city, e.g. Koh Kong."),
        render_kw={"autocomplete": "address-level1"},
    )


class SignOnForm(PublicNameForm):
    """An organisation endorses a statement; contact fields are for moderators only."""

    website = URLField(
        _l("Website"),
        filters=[strip],
        validators=[
            Optional(),
            at_most(300),
            URL(message=_l("Please give a full web address, starting with https://.")),
            NoControlCharacters(),
        ],
        description=_l("Optional."),
        render_kw={"autocomplete": "url", "placeholder": "https://"},
    )
    anonymous = BooleanField(
        _l("Count us, but do not publish our name"),
        description=_l("The organisation is counted in the total but not named in the public list."),
    )
    contact_name = StringField(
        _l("Contact person"),
        filters=[strip],
        validators=[DataRequired(_l("Please tell us who to contact.")), at_most(120), *name_hygiene()],
        description=_l("Not published. Only moderators see it."),
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please give an email address.")),
            at_most(254),
            Email(message=_l("Please give a valid email address, like name@example.org.")),
        ],
        description=_l("Not published. We use it to confirm the endorsement."),
        render_kw={"autocomplete": "email"},
    )
    phone = TelField(
        _l("Phone"),
        filters=[strip],
        validators=[
            Optional(),
            at_most(40),
            # A leading + is normal here; exports neutralise formulas cell by cell.
            Regexp(r"^[0-9+()./\s-]*$", message=_l("Please use digits, spaces and + ( ) - only.")),
        ],
        description=_l("Optional. Not published."),
        render_kw={"autocomplete": "tel"},
    )
    message = TextAreaField(
        _l("Message to the moderators"),
        filters=[strip],
        validators=[Optional(), at_most(2000), NoControlCharacters(allow_newlines=True)],
        description=_l("Optional. Not published."),
    )
    authorised = BooleanField(
        _l("I am authorised to endorse this statement on behalf of this organisation."),
        validators=[DataRequired(_l("Please confirm that you may sign for this organisation."))],
    )
    submit = SubmitField(_l("Endorse this statement"))
    # Spam traps: a field people never see (bots fill it in) and the signed time the form was shown.
    homepage = StringField(_l("Leave this field empty"), render_kw={"tabindex": "-1", "autocomplete": "off"})
    shown_at = HiddenField()


class CorrectionForm(PublicNameForm):
    """The endorser asks for the public name to be written differently, in either script."""

    note = TextAreaField(
        _l("Note to the moderators"),
        filters=[strip],
        validators=[Optional(), at_most(1000), NoControlCharacters(allow_newlines=True)],
    )
    submit = SubmitField(_l("Ask for this correction"))
