"""The forms of statement updates: an admin writes one, an endorser chooses whether to get them."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Optional

from domain.statements import languages_of
from forms.hygiene import NoControlCharacters, NoLayoutControls, at_most, strip, with_limit
from models import Statement
from templating import language_name

SUBJECT_LIMIT = 200
BODY_LIMIT = 20_000


def unix_newlines(value):
    """Browsers send a textarea's lines ending in CR LF; the mail and the limit count LF."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class UpdateForm(FlaskForm):
    """A subject and a Markdown text per language of the statement (`update_form` adds them):
    the statement's own language is required, each other one is all or nothing."""

    submit = SubmitField(_l("Save and preview"))
    languages: list[str] = []

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for code in self.languages[1:]:
            subject, body = self[f"subject_{code}"], self[f"body_{code}"]
            if bool(subject.data) != bool(body.data):
                empty = body if subject.data else subject
                empty.errors = [
                    *empty.errors,
                    _("Please write both a subject and a text in this language, or neither."),
                ]
                valid = False
        return valid

    def texts(self) -> dict:
        """{language: {subject, body}} for the languages written in."""
        return {
            code: {"subject": self[f"subject_{code}"].data, "body": self[f"body_{code}"].data}
            for code in self.languages
            if self[f"subject_{code}"].data
        }


def _fields_for(code: str, required: bool) -> tuple[StringField, TextAreaField]:
    """The subject and text fields of one language."""
    name = language_name(code)
    subject_required = [DataRequired(_("Please give a subject."))] if required else [Optional()]
    body_required = [DataRequired(_("Please write the text of the update."))] if required else [Optional()]
    subject = StringField(
        _("Subject (%(language)s)", language=name),
        filters=[strip],
        validators=[*subject_required, at_most(SUBJECT_LIMIT), NoControlCharacters(), NoLayoutControls()],
        description=with_limit(_l("The subject line of the mail."), SUBJECT_LIMIT),
    )
    body = TextAreaField(
        _("Text in %(language)s (Markdown)", language=name),
        filters=[strip, unix_newlines],
        validators=[*body_required, at_most(BODY_LIMIT), NoControlCharacters(allow_newlines=True)],
        description=with_limit(_l("Sent as plain text, as you write it."), BODY_LIMIT),
    )
    return subject, body


def update_form(statement: Statement, **kwargs) -> UpdateForm:
    """The form for one statement, with a subject and a text field for each of its languages."""
    languages = languages_of(statement)

    class StatementUpdateForm(UpdateForm):
        pass

    for code in languages:
        subject, body = _fields_for(code, required=code == languages[0])
        setattr(StatementUpdateForm, f"subject_{code}", subject)
        setattr(StatementUpdateForm, f"body_{code}", body)
    form = StatementUpdateForm(**kwargs)
    form.languages = languages
    return form


def form_data(texts: dict) -> dict:
    """An update's stored texts as the form's fields, to edit them."""
    data = {}
    for code, text in texts.items():
        data[f"subject_{code}"], data[f"body_{code}"] = text["subject"], text["body"]
    return data


class UpdatesChoiceForm(FlaskForm):
    """The endorser's choice, on their personal page."""

    updates = BooleanField(_l("Send us news about this statement"))
    submit = SubmitField(_l("Save my choice"))
