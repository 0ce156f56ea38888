"""statements: who publishes each one and how to reach them

Revision ID: c5e8a0f3d917
Revises: b7d41e9c2a63
Create Date: 2026-12-02 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e8a0f3d917'
down_revision = 'b7d41e9c2a63'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('publisher', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=True))


def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a copy of the table: endorsements refer to
    # statements, and with foreign keys on SQLite refuses to drop the old table.
    with op.batch_alter_table('statements', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('contact_email')
        batch_op.drop_column('publisher')
