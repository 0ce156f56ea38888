"""look-alike organisation keys: recompute every endorsement's duplicate key through the
confusables skeleton (NFKC, format characters dropped, UTS #39 via ICU)

Revision ID: b7d41c9e2f05
Revises: d7b3e6f21c58
Create Date: 2026-12-01 12:00:00.000000

A data migration: the schema does not change. Two approved endorsements of one statement
whose names only looked different (a Cyrillic 'С', a zero-width space, a soft hyphen) now get
the same key, which the partial unique index refuses. Such a pair is not unpublished here:
the one listed first keeps the plain key, each later one gets the key with '#<its id>' after
it (a folded key never holds '#'), and a warning names both, for a moderator to reject or
edit one of them.
"""
import logging
import unicodedata

from alembic import op
import sqlalchemy as sa

# Imported, unlike the schema of other migrations: the point of this one is that stored keys
# equal what the app computes at sign-on.
from models.endorsement import organisation_key


# revision identifiers, used by Alembic.
revision = 'b7d41c9e2f05'
down_revision = 'd7b3e6f21c58'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
INDEX = 'uq_endorsements_approved_organisation'
endorsements = sa.table(
    'endorsements',
    sa.column('id', sa.Integer),
    sa.column('statement_id', sa.Integer),
    sa.column('organisation', sa.String),
    sa.column('location', sa.String),
    sa.column('status', sa.String),
    sa.column('position', sa.Integer),
    sa.column('organisation_key', sa.String),
)


def upgrade():
    rekey(organisation_key)


def downgrade():
    rekey(previous_key)


def previous_key(organisation, location=None):
    """The key before this revision: NFKC, case and punctuation folded, nothing more."""

    def fold(text):
        text = unicodedata.normalize("NFKC", text or "").casefold()
        return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())

    key = fold(organisation)
    if location and fold(location):
        key += "|" + fold(location)
    return key[:400]


def rekey(key_of):
    """New keys for every row, the unique index dropped meanwhile so no order of updates trips it."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(endorsements).order_by(
            endorsements.c.statement_id, endorsements.c.position.is_(None), endorsements.c.position,
            endorsements.c.id,
        )
    ).all()
    keys = {row.id: key_of(row.organisation, row.location) for row in rows}
    separate_approved_look_alikes(rows, keys)
    op.drop_index(INDEX, table_name='endorsements')
    for row in rows:
        if keys[row.id] != row.organisation_key:
            connection.execute(
                endorsements.update().where(endorsements.c.id == row.id).values(organisation_key=keys[row.id])
            )
    op.create_index(
        INDEX, 'endorsements', ['statement_id', 'organisation_key'], unique=True,
        sqlite_where=sa.text("status = 'approved'"), postgresql_where=sa.text("status = 'approved'"),
    )


def separate_approved_look_alikes(rows, keys):
    """Rows come in list order: the first approved holder of a key keeps it, later ones are marked."""
    first = {}
    for row in rows:
        if row.status != 'approved':
            continue
        slot = (row.statement_id, keys[row.id])
        if slot not in first:
            first[slot] = row
            continue
        mark = f"#{row.id}"
        keys[row.id] = keys[row.id][: 400 - len(mark)] + mark
        log.warning(
            "endorsement %d (%r) on statement %d looks like endorsement %d (%r); both stay approved, "
            "its key is marked %r: reject or edit one of them",
            row.id, row.organisation, row.statement_id, first[slot].id, first[slot].organisation, mark,
        )
