"""accounts: staff who sign in, their role, agency, password hash, lockout and sessions

Revision ID: 0001_accounts
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_accounts"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("agency", sa.String(64), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("password_changed_at", sa.DateTime, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime, nullable=True),
        sa.Column("sessions_valid_after", sa.DateTime, nullable=False),
        sa.UniqueConstraint("username", name="uq_accounts_username"),
        sa.CheckConstraint("role IN ('officer', 'supervisor', 'coordinator', 'admin')", name="ck_accounts_role"),
    )


def downgrade() -> None:
    op.drop_table("accounts")
