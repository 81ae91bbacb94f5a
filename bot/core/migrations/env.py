"""Alembic environment: the engine the Store passes in, else COMPLIANCE_BOT_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from bot.core.database.connections import make_engine
from bot.core.deployment.settings import load_settings
from bot.core.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run with a live connection."""
    engine = config.attributes.get("engine")
    if engine is None:
        engine = make_engine(load_settings().db_url)
    assert isinstance(engine, Engine)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
