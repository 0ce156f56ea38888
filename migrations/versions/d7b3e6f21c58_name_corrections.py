"""name corrections: an endorser's correction is a proposal a moderator accepts or declines

Revision ID: d7b3e6f21c58
Revises: c5e8a1f04d27
Create Date: 2026-12-01 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7b3e6f21c58'
down_revision = 'c5e8a1f04d27'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'name_corrections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('endorsement_id', sa.Integer(), nullable=False),
        sa.Column('proposed', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decline_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['decided_by_id'], ['moderators.id'], name=op.f('fk_name_corrections_decided_by_id_moderators')),
        sa.ForeignKeyConstraint(['endorsement_id'], ['endorsements.id'], name=op.f('fk_name_corrections_endorsement_id_endorsements')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_name_corrections')),
        sa.CheckConstraint(
            "status IN ('waiting', 'accepted', 'declined', 'replaced')", name=op.f('ck_name_corrections_status')
        ),
    )
    with op.batch_alter_table('name_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_name_corrections_endorsement_id'), ['endorsement_id'], unique=False)
        batch_op.create_index('ix_name_corrections_outcome_created', ['status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('name_corrections', schema=None) as batch_op:
        batch_op.drop_index('ix_name_corrections_outcome_created')
        batch_op.drop_index(batch_op.f('ix_name_corrections_endorsement_id'))
    op.drop_table('name_corrections')
