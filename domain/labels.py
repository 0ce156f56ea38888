"""States, sources and events as people read them, in their language.

The database keeps short English identifiers (`pending`, `phone`, `approve`); these are
the words shown for them. A value with no word here is shown as it is stored.
"""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from domain import spam
from models import EndorsementStatus, OutboxStatus, Role, StatementStatus

ENDORSEMENT_STATUS = {
    EndorsementStatus.UNCONFIRMED: _l("unconfirmed"),
    EndorsementStatus.PENDING: _l("pending"),
    EndorsementStatus.APPROVED: _l("approved"),
    EndorsementStatus.REJECTED: _l("rejected"),
    EndorsementStatus.WITHDRAWN: _l("withdrawn"),
    EndorsementStatus.SUSPECTED: _l("suspected"),
}
# Headings of the moderators' lists, one per status (a sentence, not a capitalised word).
ENDORSEMENT_LIST = {
    EndorsementStatus.UNCONFIRMED: _l("Unconfirmed endorsements"),
    EndorsementStatus.PENDING: _l("Pending endorsements"),
    EndorsementStatus.APPROVED: _l("Approved endorsements"),
    EndorsementStatus.REJECTED: _l("Rejected endorsements"),
    EndorsementStatus.WITHDRAWN: _l("Withdrawn endorsements"),
    EndorsementStatus.SUSPECTED: _l("Suspected endorsements"),
}
# The state of an endorsement as its own contact reads it, on their personal page and in mail.
ENDORSER_STATUS = {
    EndorsementStatus.UNCONFIRMED: _l("waiting for your confirmation"),
    EndorsementStatus.PENDING: _l("waiting for review by a moderator"),
    EndorsementStatus.SUSPECTED: _l("waiting for review by a moderator"),
    EndorsementStatus.APPROVED: _l("published in the list"),
    EndorsementStatus.REJECTED: _l("not accepted"),
    EndorsementStatus.WITHDRAWN: _l("withdrawn"),
}
STATEMENT_STATUS = {
    StatementStatus.DRAFT: _l("draft"),
    StatementStatus.OPEN: _l("open"),
    StatementStatus.CLOSED: _l("closed"),
}
MAIL_STATUS = {
    OutboxStatus.QUEUED: _l("waiting to be sent"),
    OutboxStatus.SENDING: _l("sending"),
    OutboxStatus.SENT: _l("sent"),
    OutboxStatus.FAILED: _l("failed"),
}
ROLE = {Role.MODERATOR: _l("moderator"), Role.ADMIN: _l("admin")}
SOURCE = {
    "web": _l("signed on the website"),
    "import": _l("imported from a statement file"),
    "phone": _l("received by phone"),
    "paper": _l("received on a paper form"),
    "meeting": _l("received in a meeting"),
    "email": _l("received by email"),
}
# What the history of one endorsement can hold.
EVENT = {
    "confirm": _l("email confirmed"),
    "correction_requested": _l("correction asked by the endorser"),
    "correction_accepted": _l("correction accepted"),
    "correction_declined": _l("correction declined"),
    "approve": _l("approved"),
    "reject": _l("rejected"),
    "edit": _l("display name edited"),
    "withdraw": _l("withdrawn"),
    "add_received": _l("added by a moderator"),
    "import_row": _l("imported from a spreadsheet"),
    "note": _l("note added"),
    "updates_choice": _l("choice about news changed by the endorser"),
    "unsubscribe": _l("unsubscribed from news"),
}
MAIL_KIND = {
    "confirm_endorsement": _l("request to confirm"),
    "repeat_signon": _l("repeated sign-on"),
    "endorsement_published": _l("endorsement published"),
    "endorsement_rejected": _l("endorsement not accepted"),
    "endorsement_withdrawn": _l("endorsement withdrawn"),
    "moderator_new_endorsement": _l("new endorsement for moderators"),
    "moderator_withdrawal": _l("withdrawal, for moderators"),
    "moderator_correction": _l("correction, for moderators"),
    "correction_accepted": _l("correction accepted"),
    "correction_declined": _l("correction declined"),
    "statement_update": _l("update about the statement"),
}
# Why domain.spam set a sign-on aside; the timer's reason (spam.TOO_FAST) carries a number.
SUSPICION = {
    spam.HONEYPOT: _l("the hidden field (honeypot) was filled in"),
    spam.TIMER_ALTERED: _l("the form's timer was missing or altered"),
    spam.TIMER_OTHER_READER: _l("the form's timer was made for another browser"),
    spam.TIMER_EXPIRED: _l("the form was shown more than a day before it was sent"),
    spam.TIMER_REPLAYED: _l("the form's timer had already been used for another sign-on"),
    spam.MANY_FROM_ADDRESS: _l("many sign-ons came from the same address"),
    spam.BLOCKED_DOMAIN: _l("the email domain is on the block list"),
    spam.BLOCKED_NETWORK: _l("the address is in a blocked network"),
}
# Rows of an imported spreadsheet carry "import:<file name>" (domain.importing).
IMPORTED_FROM = "import:"
TOO_FAST = re.compile(r"^sent (?P<seconds>[\d.]+) s after the form was shown$")

GROUPS = {
    "endorsement_status": ENDORSEMENT_STATUS,
    "endorsement_list": ENDORSEMENT_LIST,
    "endorser_status": ENDORSER_STATUS,
    "statement_status": STATEMENT_STATUS,
    "mail_status": MAIL_STATUS,
    "role": ROLE,
    "source": SOURCE,
    "event": EVENT,
    "mail_kind": MAIL_KIND,
}


def label(value: str | None, group: str) -> str:
    """The reader's word for a stored value of `group`."""
    word = GROUPS[group].get(value)
    if word is None and group == "source" and (value or "").startswith(IMPORTED_FROM):
        return _("imported from %(file)s", file=value.removeprefix(IMPORTED_FROM))
    return str(word) if word is not None else str(value or "")


def status_name(status: str) -> str:
    return label(status, "endorsement_status")


def describe_suspicion(reason: str | None) -> str:
    """The stored reason (English, from domain.spam) in the reader's language."""
    if reason in SUSPICION:
        return str(SUSPICION[reason])
    too_fast = TOO_FAST.match(reason or "")
    if too_fast:
        return _("sent %(seconds)s seconds after the form was shown", seconds=too_fast["seconds"])
    return reason or ""
