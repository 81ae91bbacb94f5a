"""sign-in by emailed link and code, for schools without Microsoft or Google sign-in

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-23 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The links' table: hashes of the token and the code, never the values."""
    op.create_table(
        "signin_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("next_path", sa.String(length=500), nullable=False),
        sa.Column("created_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("closed_at", bot.core.models.UTCDateTime(), nullable=True),
        sa.Column("closed_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"],
                                name=op.f("fk_signin_links_school_id_schools")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"],
                                name=op.f("fk_signin_links_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_signin_links_token_hash")),
    )
    op.create_index(op.f("ix_signin_links_person_id"), "signin_links", ["person_id"],
                    unique=False)


def downgrade() -> None:
    """Drop the table (links already emailed stop working)."""
    op.drop_index(op.f("ix_signin_links_person_id"), table_name="signin_links")
    op.drop_table("signin_links")
