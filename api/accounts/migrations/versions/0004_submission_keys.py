"""submission_keys: clients' idempotency keys, each bound to the content first sent with it

Revision ID: 0004_submission_keys
Revises: 0003_api_keys
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_submission_keys"
down_revision = "0003_api_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission_keys",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_submission_keys_created_at", "submission_keys", ["created_at"])


def downgrade() -> None:
    op.drop_table("submission_keys")
