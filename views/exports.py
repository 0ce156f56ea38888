"""Release outputs of the approved list: CSV, JSON, Markdown, text, PDF, and the embed widget."""

from flask import Blueprint

bp = Blueprint("exports", __name__)
