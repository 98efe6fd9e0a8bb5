"""Schema migrations with Alembic, driven from code: no alembic.ini, the scripts live in `migrations/`."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from dagster_project.store.engine import make_engine, write_lock, writer

MIGRATIONS = Path(__file__).parent / "migrations"
# Alembic's `context` is a module global: one migration run per process at a time.
_ALEMBIC = threading.Lock()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade_engine(engine: Engine) -> None:
    """`alembic upgrade head` on `engine`, in one transaction under the store's write lock, so two processes
    opening a new store at once cannot both create it."""
    with _ALEMBIC, writer(engine).begin() as connection:
        write_lock(connection)
        config = alembic_config()
        # env.py runs the migrations on this connection, inside this transaction.
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def upgrade(engine_url: str) -> None:
    """`alembic upgrade head` for the store at `engine_url`; a no-op when it is up to date."""
    engine = make_engine(engine_url)
    try:
        upgrade_engine(engine)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
