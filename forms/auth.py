from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired

from forms.hygiene import NoControlCharacters, at_most, strip


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[DataRequired(_l("Please give your email address.")), at_most(254), NoControlCharacters()],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please give your password.")), at_most(1000)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Log in"))
