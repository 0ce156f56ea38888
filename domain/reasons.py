"""The rejection reasons moderators pick from (e-petitions' library): a few common ones are
seeded on a fresh install, then admins add, retire and restore them.

Reasons are data, not interface text: each is one stored text, mailed as written to an endorser
who may read English or Khmer. So the seeded ones carry both languages, "English / ខ្មែរ"."""

import sqlalchemy as sa

from domain.audit import record
from extensions import db
from models import RejectionReason

DEFAULT_REASONS = (
    "Not an organisation: endorsements are from organisations, not individuals"
    " / មិនមែនជាអង្គការ៖ ការគាំទ្រត្រូវតែមកពីអង្គការ មិនមែនពីបុគ្គលទេ",
    "Already in the list / មាននៅក្នុងបញ្ជីរួចហើយ",
    "We could not confirm that the contact may sign for this organisation"
    " / យើងមិនអាចបញ្ជាក់បានថា អ្នកទំនាក់ទំនងមានសិទ្ធិចុះហត្ថលេខាក្នុងនាមអង្គការនេះទេ",
    "The organisation's name is incomplete or unclear: please sign on again with its full name"
    " / ឈ្មោះអង្គការមិនពេញលេញ ឬមិនច្បាស់លាស់៖ សូមចុះហត្ថលេខាគាំទ្រម្តងទៀត ដោយប្រើឈ្មោះពេញរបស់អង្គការ",
    "Spam or a test entry / សារឥតបានការ ឬការបញ្ចូលសាកល្បង",
)


def seed_default_reasons() -> int:
    """Add DEFAULT_REASONS to a list that has never had any (a fresh install): a reason an admin
    retired is never brought back. Returns how many were added; the caller commits."""
    if db.session.scalar(sa.select(sa.func.count(RejectionReason.id))):
        return 0
    db.session.add_all(RejectionReason(text=text) for text in DEFAULT_REASONS)
    return len(DEFAULT_REASONS)


def add_reason(text: str, moderator) -> RejectionReason:
    """A reason for the list; one retired before comes back instead of being added twice."""
    reason = db.session.scalar(sa.select(RejectionReason).where(RejectionReason.text == text))
    if reason is None:
        reason = RejectionReason(text=text)
        db.session.add(reason)
    reason.active = True
    record("reason_add", moderator=moderator, after={"reason": text})
    return reason


def toggle_reason(reason: RejectionReason, moderator) -> None:
    """Retire a reason from the menu, or restore it; decisions that used it keep their text."""
    reason.active = not reason.active
    record(
        "reason_restore" if reason.active else "reason_retire",
        moderator=moderator,
        after={"reason": reason.text},
    )
