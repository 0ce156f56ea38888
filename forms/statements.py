from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone, to_utc
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Optional, Regexp

from forms.hygiene import NOT_A_CHOICE, NoControlCharacters, at_most, strip
from models import ListOrder, StatementStatus


class ZonedDateTimeField(DateTimeLocalField):
    """A time typed and shown in TIMEZONE, kept in UTC like every stored time."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = to_utc(self.data)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        # The form browsers normalise a datetime-local value to.
        return to_user_timezone(self.data).strftime("%Y-%m-%dT%H:%M") if self.data else ""


class StatementForm(FlaskForm):
    """An admin creates or edits a statement; the body is Markdown."""

    slug = StringField(
        _l("Address"),
        filters=[strip, lambda v: v.lower() if isinstance(v, str) else v],
        validators=[
            DataRequired(_l("Please give the statement an address.")),
            at_most(120),
            Regexp(
                r"^[a-z0-9]+(-[a-z0-9]+)*$",
                message=_l("Please use lower-case letters, digits and hyphens only."),
            ),
        ],
        description=_l(
            "The statement's page is /statements/ followed by this, e.g. /statements/free-the-press."
        ),
    )
    kicker = StringField(
        _l("Kicker"),
        filters=[strip],
        validators=[Optional(), at_most(120), NoControlCharacters()],
        description=_l("A short line above the title, e.g. Joint Statement."),
    )
    title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[DataRequired(_l("Please give a title.")), at_most(300), NoControlCharacters()],
    )
    published_on = DateField(
        _l("Date"), validators=[Optional()], invalid_value_message=_l("Please give a valid date.")
    )
    body = TextAreaField(
        _l("Text (Markdown)"),
        validators=[
            DataRequired(_l("Please write the text of the statement.")),
            at_most(100_000),
            NoControlCharacters(allow_newlines=True),
        ],
    )
    signon_deadline = ZonedDateTimeField(
        _l("Sign-on deadline (%(zone)s)"),  # the zone is put in by __init__
        validators=[Optional()],
        description=_l("Optional. After it, the statement closes by itself."),
        invalid_value_message=_l("Please give a valid date and time."),
    )
    publisher = StringField(
        _l("Published by"),
        filters=[strip, lambda v: v or None],
        validators=[Optional(), at_most(200), NoControlCharacters()],
        description=_l(
            "Who publishes the statement, shown on its page and in every mail. "
            "Leave empty for the organisers set for the whole site."
        ),
    )
    contact_email = StringField(
        _l("Contact email of the publisher"),
        filters=[strip, lambda v: v or None],
        validators=[
            Optional(),
            at_most(254),
            Email(message=_l("Please give a valid email address, like name@example.org.")),
        ],
        description=_l(
            "Shown on the statement's page and in every mail; endorsers' replies go there. "
            "Leave empty for the contact set for the whole site."
        ),
    )
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice(StatementStatus.DRAFT, _l("Draft (moderators only)")),
            SelectChoice(StatementStatus.OPEN, _l("Open for sign-on")),
            SelectChoice(StatementStatus.CLOSED, _l("Closed")),
        ],
        invalid_choice_message=NOT_A_CHOICE,
    )
    list_order = SelectField(
        _l("List order"),
        choices=[
            SelectChoice(ListOrder.PUBLISHED, _l("As approved (published order)")),
            SelectChoice(ListOrder.ALPHABETICAL, _l("Alphabetical")),
        ],
        invalid_choice_message=NOT_A_CHOICE,
    )
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.signon_deadline.label.text = _(
            "Sign-on deadline (%(zone)s)", zone=current_app.config["TIMEZONE"]
        )
