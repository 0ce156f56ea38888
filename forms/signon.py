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
)
from wtforms.validators import URL, DataRequired, Email, Optional, Regexp

from forms.hygiene import (
    KhmerScript,
    NoControlCharacters,
    NoLayoutControls,
    WebPage,
    as_web_address,
    ascii_digits,
    at_most,
    name_hygiene,
    strip,
    with_limit,
)


class PublicNameForm(FlaskForm):
    """The fields the public list prints, declared once for sign-on, correction and moderator edit."""

    organisation = StringField(
        _l("Organisation name"),
        filters=[strip],
        validators=[DataRequired(_l("Please give the organisation's name.")), at_most(200), *name_hygiene()],
        description=with_limit(_l("As it should appear in the public list."), 200),
        render_kw={"autocomplete": "organization"},
    )
    # The name in Khmer script, beside the one in Latin script.
    organisation_km = StringField(
        _l("Name in Khmer script"),
        filters=[strip],
        validators=[Optional(), at_most(200), *name_hygiene(), KhmerScript()],
        description=with_limit(_l("Optional. The list shows it beside the name above."), 200),
        render_kw={"lang": "km"},
    )
    acronym = StringField(
        _l("Acronym"),
        filters=[strip],
        validators=[Optional(), at_most(40), *name_hygiene()],
        description=with_limit(_l("Optional, e.g. CCHR."), 40),
    )
    location = StringField(
        _l("Location"),
        filters=[strip],
        validators=[Optional(), at_most(120), *name_hygiene()],
        description=with_limit(_l("Optional: province or city, e.g. Koh Kong."), 120),
        render_kw={"autocomplete": "address-level1"},
    )


class SignOnForm(PublicNameForm):
    """An organisation endorses a statement; contact fields are for moderators only."""

    # A text input, not type=url: browsers refuse 'tsfn.org.kh' there, as people type it;
    # the filter adds https://.
    website = StringField(
        _l("Website"),
        filters=[strip, as_web_address],
        validators=[
            Optional(),
            at_most(300),
            NoControlCharacters(),
            NoLayoutControls(),
            WebPage(),
            URL(message=_l("Please enter a web address, like example.org.kh.")),
        ],
        description=_l("Optional, e.g. example.org.kh."),
        render_kw={"autocomplete": "url", "inputmode": "url"},
    )
    anonymous = BooleanField(
        _l("Count us, but do not publish our name"),
        description=_l("The organisation is counted in the total but not named in the public list."),
    )
    contact_name = StringField(
        _l("Contact person"),
        filters=[strip],
        validators=[DataRequired(_l("Please tell us who to contact.")), at_most(120), *name_hygiene()],
        description=with_limit(_l("Not published. Only moderators see it."), 120),
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
    # Unticked unless they tick it: news is mail they ask for (issue 17.2).
    updates = BooleanField(
        _l("Send us news about this statement"),
        description=_l(
            "Optional. The organisers may write about what happens to the statement; "
            "every such mail has a link to stop them."
        ),
    )
    phone = TelField(
        _l("Phone"),
        # Khmer digits (០–៩) are welcome, stored as 0–9: what a moderator dials and searches.
        filters=[strip, ascii_digits],
        validators=[
            Optional(),
            at_most(40),
            # A leading + is normal here; exports neutralise formulas cell by cell. Spaces
            # only: no tab or line separator.
            Regexp(
                r"^[0-9+()./ -]*$",
                message=_l("Please write the number with digits (០–៩ or 0–9), spaces and + ( ) - only."),
            ),
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
