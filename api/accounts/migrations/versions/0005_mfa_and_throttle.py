"""second factor (TOTP secret, last step used, recovery codes), a forced password change, and sign-in failure
counters shared by every API process (they replace the per-account lockout and its columns)

Revision ID: 0005_mfa_and_throttle
Revises: 0004_submission_keys
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_mfa_and_throttle"
down_revision = "0004_submission_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(64), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer, nullable=True))
        batch.add_column(sa.Column("must_change_password", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")
    op.create_table(
        "recovery_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(160), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_at", sa.DateTime, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    op.drop_table("recovery_codes")
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime, nullable=True))
        batch.drop_column("must_change_password")
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_secret")
