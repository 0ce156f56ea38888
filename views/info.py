"""Pages that tell readers how the site treats them: the privacy page."""

from flask import Blueprint, render_template

from domain.statements import organisers_of
from extensions import db
from models import Statement

bp = Blueprint("info", __name__)


@bp.get("/privacy")
def privacy():
    """Who sees contact details, how long they are kept, how to withdraw, whom to ask."""
    statements = db.session.scalars(Statement.select_public()).all()
    own_publishers = [
        (statement, organisers_of(statement))
        for statement in statements
        if statement.publisher or statement.contact_email
    ]
    return render_template(
        "public/privacy.html", site_organisers=organisers_of(None), own_publishers=own_publishers
    )
