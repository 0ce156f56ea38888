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
from wtforms.validators import DataRequired, Length, Optional, Regexp

from forms.hygiene import NoControlCharacters, strip
from models import ListOrder, StatementStatus


class StatementForm(FlaskForm):
    """An admin creates or edits a statement; the body is Markdown."""

    slug = StringField(
        "Address",
        filters=[strip, lambda v: v.lower() if isinstance(v, str) else v],
        validators=[
            DataRequired(),
            Length(max=120),
            Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message="Use lower-case letters, digits and hyphens."),
        ],
        description="The statement lives at /statements/<address>.",
    )
    kicker = StringField(
        "Kicker",
        filters=[strip],
        validators=[Optional(), Length(max=120), NoControlCharacters()],
        description="A short line above the title, e.g. Joint Statement.",
    )
    title = StringField(
        "Title", filters=[strip], validators=[DataRequired(), Length(max=300), NoControlCharacters()]
    )
    published_on = DateField("Date", validators=[Optional()])
    body = TextAreaField(
        "Text (Markdown)",
        validators=[DataRequired(), Length(max=100_000), NoControlCharacters(allow_newlines=True)],
    )
    signon_deadline = DateTimeLocalField(
        "Sign-on deadline (UTC)",
        validators=[Optional()],
        description="Optional. After it, the statement closes by itself.",
    )
    status = SelectField(
        "Status",
        choices=[
            SelectChoice(StatementStatus.DRAFT, "Draft (moderators only)"),
            SelectChoice(StatementStatus.OPEN, "Open for sign-on"),
            SelectChoice(StatementStatus.CLOSED, "Closed"),
        ],
    )
    list_order = SelectField(
        "List order",
        choices=[
            SelectChoice(ListOrder.PUBLISHED, "As approved (published order)"),
            SelectChoice(ListOrder.ALPHABETICAL, "Alphabetical"),
        ],
    )
    preview = SubmitField("Preview")
    submit = SubmitField("Save")
