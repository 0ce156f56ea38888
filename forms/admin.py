import ipaddress

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Optional, Regexp, ValidationError

from forms.hygiene import NOT_A_CHOICE, NoControlCharacters, at_least, at_most, strip
from models import Role


class BlockedDomainForm(FlaskForm):
    domain = StringField(
        _l("Email domain"),
        filters=[strip, lambda v: v.lower().lstrip("@") if isinstance(v, str) else v],
        validators=[
            DataRequired(_l("Please give an email domain.")),
            at_most(253),
            Regexp(r"^[a-z0-9.-]+\.[a-z0-9-]+$", message=_l("Please give a domain like spam.example.")),
        ],
    )
    note = StringField(
        _l("Note"), filters=[strip], validators=[Optional(), at_most(200), NoControlCharacters()]
    )
    submit = SubmitField(_l("Block domain"))


class BlockedNetworkForm(FlaskForm):
    cidr = StringField(
        _l("IP address or network"),
        filters=[strip],
        validators=[DataRequired(_l("Please give an address or a network.")), at_most(50)],
    )
    note = StringField(
        _l("Note"), filters=[strip], validators=[Optional(), at_most(200), NoControlCharacters()]
    )
    submit = SubmitField(_l("Block network"))

    def validate_cidr(self, field):
        try:
            field.data = str(ipaddress.ip_network(field.data, strict=False))
        except ValueError as error:
            raise ValidationError(
                _l("Please give an address like 203.0.113.7 or a network like 203.0.113.0/24.")
            ) from error


class ModeratorForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please give an email address.")),
            Email(message=_l("Please give a valid email address, like name@example.org.")),
            at_most(254),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please give a password.")), at_least(10), at_most(1000)],
    )
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(Role.MODERATOR, _l("Moderator")), SelectChoice(Role.ADMIN, _l("Admin"))],
        invalid_choice_message=NOT_A_CHOICE,
    )
    submit = SubmitField(_l("Add moderator"))
