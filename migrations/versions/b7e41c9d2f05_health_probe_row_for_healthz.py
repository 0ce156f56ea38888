"""health probe row: /healthz proves with a committed write that sign-ons can be stored

Revision ID: b7e41c9d2f05
Revises: e4b7c2a9f315
Create Date: 2026-12-01 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e41c9d2f05'
down_revision = 'e4b7c2a9f315'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('health_probes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_probes'))
    )


def downgrade():
    op.drop_table('health_probes')
