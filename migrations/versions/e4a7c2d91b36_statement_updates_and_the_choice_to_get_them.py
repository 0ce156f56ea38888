"""statement updates: endorsers' choice to get news, the updates admins write, mails linked to their update

Revision ID: e4a7c2d91b36
Revises: b7e41c9d2f05
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4a7c2d91b36'
down_revision = 'b7e41c9d2f05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'statement_updates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('statement_id', sa.Integer(), nullable=False),
        sa.Column('texts', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('sent_by_id', sa.Integer(), nullable=True),
        sa.Column('recipients', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['moderators.id'], name=op.f('fk_statement_updates_created_by_id_moderators')),
        sa.ForeignKeyConstraint(['sent_by_id'], ['moderators.id'], name=op.f('fk_statement_updates_sent_by_id_moderators')),
        sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], name=op.f('fk_statement_updates_statement_id_statements')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_updates')),
    )
    with op.batch_alter_table('statement_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_updates_statement_id'), ['statement_id'], unique=False)

    with op.batch_alter_table('endorsements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wants_updates', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('update_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_update_id'), ['update_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_update_id_statement_updates'), 'statement_updates', ['update_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_update_id_statement_updates'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_update_id'))
        batch_op.drop_column('update_id')

    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a copy of the table: other tables refer to
    # endorsements, and with foreign keys on SQLite refuses to drop the old table.
    with op.batch_alter_table('endorsements', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('wants_updates')

    with op.batch_alter_table('statement_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_updates_statement_id'))
    op.drop_table('statement_updates')
