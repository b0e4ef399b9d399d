"""Alembic's environment: runs on the connection `matcher.api.migrate` hands it."""

from __future__ import annotations

from alembic import context

from matcher.api.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER a column: Alembic copies the table instead ("batch" mode).
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
