"""outbox: personal links made at send time, a stable Message-ID, extra headers, claims by sender

The tokens of confirm and withdraw links already stored in mail texts are replaced by
markers, which the sender fills with freshly signed tokens when (or if) the mail is sent:
after this migration no row holds a working link.

Revision ID: b7d41e9c2a63
Revises: b7d41c9e2f05
Create Date: 2026-12-02 09:00:00.000000

"""
import re
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d41e9c2a63'
down_revision = 'b7d41c9e2f05'
branch_labels = None
depends_on = None

# Spelled out, not imported: a migration keeps describing the data of its day.
TOKEN_LINK = re.compile(r"/(confirm|manage)/([A-Za-z0-9_\-.]{20,})")

outbox = sa.table(
    'outbox',
    sa.column('id', sa.Integer),
    sa.column('body', sa.Text),
    sa.column('message_id', sa.String),
    sa.column('links', sa.JSON),
)


def _markers_for_tokens(body: str) -> tuple[str, dict]:
    links = {}

    def replace(match):
        marker = f"link-{secrets.token_hex(8)}"
        links[marker] = match.group(1)
        return f"/{match.group(1)}/{marker}"

    return TOKEN_LINK.sub(replace, body), links


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('links', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=100), nullable=True))

    connection = op.get_bind()
    for row_id, body in connection.execute(sa.select(outbox.c.id, outbox.c.body)).all():
        body, links = _markers_for_tokens(body)
        message_id = f"<outbox-{row_id}.{secrets.token_hex(6)}@jointly.invalid>"
        connection.execute(
            outbox.update()
            .where(outbox.c.id == row_id)
            .values(body=body, links=links or None, message_id=message_id)
        )

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('message_id', existing_type=sa.String(length=255), nullable=False)


def downgrade():
    # The markers stay in the texts: a downgrade cannot make working links without SECRET_KEY.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('headers')
        batch_op.drop_column('links')
        batch_op.drop_column('message_id')
