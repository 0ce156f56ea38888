from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import now_utc


class SignonIntake(db.Model):
    """A sign-on as it was sent, kept until it is decided after the answer.

    The sign-on POST writes one of these and nothing else, whatever the sign-on turns out to
    be (new, a repeat, suspected, unnamed), so its answer and its timing say nothing about who
    has signed. `domain.intake.process_signons` decides each one afterwards and then erases
    its payload; the row itself stays a little while, without contact data, so a replayed form
    can be told from a form sent again.
    """

    __tablename__ = "signon_intake"
    __table_args__ = (
        sa.Index("ix_signon_intake_processed_received", "processed_at", "received_at"),
        sa.Index("ix_signon_intake_form_nonce", "form_nonce"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("statements.id"))
    received_at: Mapped[datetime] = mapped_column(default=now_utc)
    # The form's fields and the signer's language; erased once the sign-on is decided.
    payload: Mapped[dict | None] = mapped_column(sa.JSON)
    suspicion: Mapped[str | None] = mapped_column(sa.String(200))
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # The random part of the form timer, and a hash of what was signed (organisation and address).
    form_nonce: Mapped[str | None] = mapped_column(sa.String(64))
    submission_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # A processor owns an undecided row until this time; after it, another may take it.
    claimed_until: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    endorsement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("endorsements.id", ondelete="SET NULL"))
