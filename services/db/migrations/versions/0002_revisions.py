"""Revisions of insights and summaries: the rules' result first, model rewordings later.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add revision and source columns; existing rows are revision 0 of the rules."""
    with op.batch_alter_table("insights") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("source", sa.String(16), nullable=False, server_default="rules")
        )
        batch.add_column(
            sa.Column("model_tokens", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("summaries") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE summaries SET source = 'rules' WHERE source = 'template'")
    op.execute("UPDATE summaries SET source = 'model' WHERE source = 'llm'")


def downgrade() -> None:
    """Drop the revision columns."""
    with op.batch_alter_table("summaries") as batch:
        batch.drop_column("revision")
    with op.batch_alter_table("insights") as batch:
        batch.drop_column("model_tokens")
        batch.drop_column("source")
        batch.drop_column("revision")
