"""status check constraints: endorsements, statements and outbox accept only their statuses

Revision ID: 7c1e2b9d4a10
Revises: 43bb30da1599
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c1e2b9d4a10'
down_revision = '43bb30da1599'
branch_labels = None
depends_on = None

# Spelled out, not imported: a migration keeps describing the schema of its day.
STATUSES = {
    'endorsements': ('unconfirmed', 'pending', 'approved', 'rejected', 'withdrawn', 'suspected'),
    'statements': ('draft', 'open', 'closed'),
    'outbox': ('queued', 'sending', 'sent', 'failed'),
}


def upgrade():
    for table, statuses in STATUSES.items():
        allowed = ", ".join(f"'{status}'" for status in statuses)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f'ck_{table}_status'), f"status IN ({allowed})")


def downgrade():
    for table in STATUSES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_status'), type_='check')
