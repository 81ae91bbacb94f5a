"""the people who have the school's Teams app, and their chat with the bot

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-23 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """One row per person the bot can reach in Teams."""
    op.create_table(
        "teams_chats",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.String(length=300), nullable=False),
        sa.Column("service_url", sa.String(length=300), nullable=False),
        sa.Column("installed_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"],
                                name=op.f("fk_teams_chats_person_id_people")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"],
                                name=op.f("fk_teams_chats_school_id_schools")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_teams_chats")),
    )
    op.create_index(op.f("ix_teams_chats_school_id"), "teams_chats", ["school_id"],
                    unique=False)


def downgrade() -> None:
    """Drop the table (the bot then reaches everyone by email)."""
    op.drop_index(op.f("ix_teams_chats_school_id"), table_name="teams_chats")
    op.drop_table("teams_chats")
