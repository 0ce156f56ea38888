"""One form per intent; shared input hygiene lives in `forms.hygiene`."""

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A field-less form, so that POST buttons (approve, reject, logout) carry CSRF."""
