#!/usr/bin/env bash
# Start a throwaway PostgreSQL on 127.0.0.1 for the API tests and print its URL on stdout.
# Debian's own package; idempotent (a second run reuses the cluster and recreates the
# database, so every CI run starts from an empty one). Runs as root, no stdin.
#   postgres.sh [DB]          the database DB (default matcher_test), made empty; its URL
#   postgres.sh --drop DB     drop it (.ci/run does at exit: runs side by side do not meet)
set -euo pipefail
drop=""
if [ "${1:-}" = "--drop" ]; then drop=1; shift; fi
db=${1:-matcher_test}
case "$db" in *[!a-z0-9_]*|"") echo "postgres.sh: bad database name '$db'" >&2; exit 2;; esac
export DEBIAN_FRONTEND=noninteractive
if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi
ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main"' | grep -q .; then
    pg_createcluster "$ver" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
    # Debian's default configuration listens on localhost only.
    pg_ctlcluster "$ver" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" {print $3}')
psql_su() { su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -qtA -c 'SET client_min_messages = warning' $*" >&2; }
psql_su "-c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'matcher') THEN CREATE ROLE matcher LOGIN PASSWORD 'matcher'; END IF; END \\\$\\\$\""
psql_su "-c 'DROP DATABASE IF EXISTS $db WITH (FORCE)'"
if [ -n "$drop" ]; then exit 0; fi
psql_su "-c 'CREATE DATABASE $db OWNER matcher'"
echo "postgresql+psycopg://matcher:matcher@127.0.0.1:${port}/$db"
