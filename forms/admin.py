import ipaddress

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from forms.hygiene import NoControlCharacters, strip
from models import Role


class BlockedDomainForm(FlaskForm):
    domain = StringField(
        "Email domain",
        filters=[strip, lambda v: v.lower().lstrip("@") if isinstance(v, str) else v],
        validators=[
            DataRequired(),
            Length(max=253),
            Regexp(r"^[a-z0-9.-]+\.[a-z0-9-]+$", message="Give a domain like spam.example."),
        ],
    )
    note = StringField(
        "Note", filters=[strip], validators=[Optional(), Length(max=200), NoControlCharacters()]
    )
    submit = SubmitField("Block domain")


class BlockedNetworkForm(FlaskForm):
    cidr = StringField("IP address or network", filters=[strip], validators=[DataRequired(), Length(max=50)])
    note = StringField(
        "Note", filters=[strip], validators=[Optional(), Length(max=200), NoControlCharacters()]
    )
    submit = SubmitField("Block network")

    def validate_cidr(self, field):
        try:
            field.data = str(ipaddress.ip_network(field.data, strict=False))
        except ValueError as error:
            raise ValidationError(
                "Give an address like 203.0.113.7 or a network like 203.0.113.0/24."
            ) from error


class ModeratorForm(FlaskForm):
    email = EmailField("Email", filters=[strip], validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=10, max=1000)])
    role = SelectField(
        "Role", choices=[SelectChoice(Role.MODERATOR, "Moderator"), SelectChoice(Role.ADMIN, "Admin")]
    )
    submit = SubmitField("Add moderator")
