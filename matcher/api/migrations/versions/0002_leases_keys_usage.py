"""64-bit sums, job leases for several processes on one database, hashed API keys, usage.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("jobs") as b:
        # A total weight of 2^31 overflowed the 32-bit coverage column on PostgreSQL.
        b.alter_column("coverage", type_=sa.BigInteger(), existing_type=sa.Integer(),
                       existing_nullable=True)
        b.alter_column("seed", type_=sa.BigInteger(), existing_type=sa.Integer(),
                       existing_nullable=False)
        b.add_column(sa.Column("owner", sa.String(200), nullable=True))
        b.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("stop_requested", sa.Boolean(), nullable=False,
                               server_default=sa.false()))
        b.create_index("ix_jobs_created_at", ["created_at"])
        b.create_index("ix_jobs_lease_until", ["lease_until"])
    with op.batch_alter_table("job_events") as b:
        b.alter_column("id", type_=BigId, existing_type=sa.Integer(), existing_nullable=False)
    if op.get_bind().dialect.name == "postgresql":
        # The serial's own sequence was made 32-bit with the column.
        op.execute("ALTER SEQUENCE job_events_id_seq AS bigint")
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("org", sa.String(200), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_api_keys_org", "api_keys", ["org"])
    op.create_table(
        "usage",
        sa.Column("org", sa.String(200), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("jobs", sa.BigInteger(), nullable=False),
        sa.Column("solver_seconds", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("usage")
    op.drop_index("ix_api_keys_org", "api_keys")
    op.drop_table("api_keys")
    with op.batch_alter_table("job_events") as b:
        b.alter_column("id", type_=sa.Integer(), existing_type=BigId, existing_nullable=False)
    with op.batch_alter_table("jobs") as b:
        b.drop_index("ix_jobs_lease_until")
        b.drop_index("ix_jobs_created_at")
        for col in ("stop_requested", "heartbeat_at", "lease_until", "owner"):
            b.drop_column(col)
        b.alter_column("seed", type_=sa.Integer(), existing_type=sa.BigInteger())
        b.alter_column("coverage", type_=sa.Integer(), existing_type=sa.BigInteger())
