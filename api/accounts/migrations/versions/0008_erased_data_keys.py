"""data_keys: a destroyed key keeps its row (key NULL, erased_at set), so it is never made again

Revision ID: 0008_erased_data_keys
Revises: 0007_data_keys
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_erased_data_keys"
down_revision = "0007_data_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A batch: SQLite changes a column's nullability only by copying the table (PostgreSQL alters in place).
    with op.batch_alter_table("data_keys") as batch:
        batch.alter_column("key", existing_type=sa.LargeBinary(32), nullable=True)
        batch.add_column(sa.Column("erased_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM data_keys WHERE key IS NULL")
    with op.batch_alter_table("data_keys") as batch:
        batch.drop_column("erased_at")
        batch.alter_column("key", existing_type=sa.LargeBinary(32), nullable=False)
