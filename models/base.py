"""What every model module shares: the clock and the enum column type."""

from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa


def now_utc() -> datetime:
    """A callable default, so every row gets the time it was written, not import time."""
    return datetime.now(UTC).replace(tzinfo=None)


def status_column_type(enum: type[StrEnum]) -> sa.Enum:
    """A short string in the database, limited to the enum's values by a CHECK constraint.

    The values (not the member names) are stored, so the rows read as they always have.
    """
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=16,
        name="status",
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
