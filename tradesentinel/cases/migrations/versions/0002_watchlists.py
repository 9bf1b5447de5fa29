"""Watchlists (names, corridors, HS codes) and the hits they found after each score or ingest.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watchlist",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("owner", "kind", "value"),
    )
    op.create_index("ix_watchlist_owner", "watchlist", ["owner"])
    op.create_table(
        "watch_hits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("watch_id", sa.Integer, sa.ForeignKey("watchlist.id", ondelete="CASCADE"), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("ref", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("found_at", sa.DateTime, nullable=False),
        sa.Column("seen", sa.Boolean, nullable=False),
        sa.UniqueConstraint("watch_id", "ref"),
    )
    op.create_index("ix_watch_hits_owner_seen", "watch_hits", ["owner", "seen"])


def downgrade() -> None:
    op.drop_table("watch_hits")
    op.drop_table("watchlist")
