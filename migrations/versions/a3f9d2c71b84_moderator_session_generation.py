"""moderator session generation: the server can end a moderator's sessions

Revision ID: a3f9d2c71b84
Revises: 7c1e2b9d4a10
Create Date: 2026-12-01 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3f9d2c71b84'
down_revision = '7c1e2b9d4a10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
