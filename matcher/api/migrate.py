"""Schema migrations (Alembic): every store brings its database to the newest schema on start.

A database made before migrations existed (the same tables, no `alembic_version`) is taken
as revision 0001 and upgraded from there. On PostgreSQL an advisory lock makes processes
that start together migrate one after the other.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: the key of the advisory lock that serialises migrations.
_LOCK_KEY = 0x6D617463686572


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head() -> str:
    rev = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert rev is not None
    return rev


def current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (the newest by default), in one transaction."""
    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        cfg.attributes["connection"] = conn
        if current(conn) is None and inspect(conn).has_table("jobs"):
            command.stamp(cfg, "0001")
        command.upgrade(cfg, revision)
