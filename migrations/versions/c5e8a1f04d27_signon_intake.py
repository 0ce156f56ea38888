"""sign-on intake: every sign-on is kept as sent and decided after the answer

Revision ID: c5e8a1f04d27
Revises: a3f9d2c71b84
Create Date: 2026-12-01 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e8a1f04d27'
down_revision = 'a3f9d2c71b84'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'signon_intake',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('statement_id', sa.Integer(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=True),
        sa.Column('suspicion', sa.String(length=200), nullable=True),
        sa.Column('ip_hash', sa.String(length=64), nullable=True),
        sa.Column('form_nonce', sa.String(length=64), nullable=True),
        sa.Column('submission_hash', sa.String(length=64), nullable=True),
        sa.Column('claimed_until', sa.DateTime(), nullable=True),
        sa.Column('processed_at', sa.DateTime(), nullable=True),
        sa.Column('endorsement_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['endorsement_id'], ['endorsements.id'], name=op.f('fk_signon_intake_endorsement_id_endorsements'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], name=op.f('fk_signon_intake_statement_id_statements')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signon_intake')),
    )
    with op.batch_alter_table('signon_intake', schema=None) as batch_op:
        batch_op.create_index('ix_signon_intake_form_nonce', ['form_nonce'], unique=False)
        batch_op.create_index('ix_signon_intake_processed_received', ['processed_at', 'received_at'], unique=False)


def downgrade():
    with op.batch_alter_table('signon_intake', schema=None) as batch_op:
        batch_op.drop_index('ix_signon_intake_processed_received')
        batch_op.drop_index('ix_signon_intake_form_nonce')
    op.drop_table('signon_intake')
