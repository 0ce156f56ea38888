"""endorsement source holds the imported file's name: import:<file name>

Revision ID: e4b7c2a9f315
Revises: c5e8a0f3d917
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b7c2a9f315'
down_revision = 'c5e8a0f3d917'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('endorsements', schema=None) as batch_op:
        batch_op.alter_column(
            'source', existing_type=sa.String(length=16), type_=sa.String(length=200), existing_nullable=False
        )


def downgrade():
    # Names longer than the old column are cut, not refused: the downgrade must run.
    endorsements = sa.table('endorsements', sa.column('source', sa.String))
    op.execute(
        endorsements.update()
        .where(sa.func.length(endorsements.c.source) > 16)
        .values(source=sa.func.substr(endorsements.c.source, 1, 16))
    )
    with op.batch_alter_table('endorsements', schema=None) as batch_op:
        batch_op.alter_column(
            'source', existing_type=sa.String(length=200), type_=sa.String(length=16), existing_nullable=False
        )
