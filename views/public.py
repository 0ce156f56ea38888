"""The public site: statements, their lists, and the sign-on form."""

from flask import Blueprint, abort, redirect, render_template, url_for

from domain.endorsements import SignonClosed, submit
from extensions import db
from forms.signon import SignOnForm
from models import Endorsement, Statement, StatementStatus
from views.rendering import render_markdown

bp = Blueprint("public", __name__)


def get_public_statement_or_404(slug: str) -> Statement:
    statement = db.session.scalar(Statement.select_by_slug(slug))
    if statement is None or not statement.is_public:
        abort(404)
    return statement


def render_statement(statement: Statement, form: SignOnForm | None = None, status: int = 200):
    endorsers = db.session.scalars(Endorsement.select_public(statement.id)).all()
    page = render_template(
        "public/statement.html",
        statement=statement,
        body_html=render_markdown(statement.body),
        endorsers=endorsers,
        form=form or SignOnForm(),
        accepts_signons=statement.accepts_signons(),
    )
    return page, status


@bp.get("/")
def index():
    statements = db.session.scalars(Statement.select_public()).all()
    open_ones = [s for s in statements if s.status == StatementStatus.OPEN]
    if len(open_ones) == 1:
        return render_statement(open_ones[0])
    if len(statements) == 1:
        return render_statement(statements[0])
    return render_template("public/index.html", statements=statements)


@bp.get("/statements/<slug>")
def statement(slug: str):
    return render_statement(get_public_statement_or_404(slug))


@bp.post("/statements/<slug>/sign")
def sign(slug: str):
    statement = get_public_statement_or_404(slug)
    form = SignOnForm()
    if not statement.accepts_signons():
        return render_statement(statement, form, status=409)
    if not form.validate_on_submit():
        return render_statement(statement, form, status=422)
    try:
        submit(statement, form.data)
    except SignonClosed:
        return render_statement(statement, form, status=409)
    db.session.commit()
    return redirect(url_for("public.thanks", slug=slug), code=303)


@bp.get("/statements/<slug>/thanks")
def thanks(slug: str):
    return render_template("public/thanks.html", statement=get_public_statement_or_404(slug))
