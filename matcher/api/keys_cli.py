"""`matcher keys add ORG | list | revoke ID`: the API's keys from the command line.

`add` prints the new key alone on stdout, once; only its hash is stored. The database is
`--database-url`, else MATCHER_DATABASE_URL, else the server's default.
"""

from __future__ import annotations

import argparse
import os
import sys


def add_arguments(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`matcher keys ...` on the main parser."""
    k = sub.add_parser("keys", help="API keys: add (shown once), list, revoke")
    k.add_argument("--database-url", default=None,
                   help="default: MATCHER_DATABASE_URL, else the server's default")
    ks = k.add_subparsers(dest="keys_command", required=True)
    a = ks.add_parser("add", help="make a key for an organisation and print it once")
    a.add_argument("org")
    a.add_argument("--label", default=None, help="a note to tell keys apart")
    li = ks.add_parser("list", help="list keys (ids, never the keys)")
    li.add_argument("--org", default=None)
    r = ks.add_parser("revoke", help="revoke a key by its id")
    r.add_argument("key_id")
    k.set_defaults(func=run_cli)


def run_cli(args: argparse.Namespace) -> int:
    from matcher.api.keys import add_key, list_keys, revoke_key
    from matcher.api.settings import Settings
    from matcher.api.store import Store

    url = (args.database_url or os.environ.get("MATCHER_DATABASE_URL")
           or Settings.model_fields["database_url"].default)
    store = Store(url)
    try:
        if args.keys_command == "add":
            try:
                row, key = add_key(store, args.org, args.label)
            except ValueError as err:
                print(f"matcher: error: {err}", file=sys.stderr)
                return 2
            print(key)
            print(f"key {row.id} for organisation {row.org!r}: store it now, it is not shown "
                  "again (only its hash is kept)", file=sys.stderr)
        elif args.keys_command == "list":
            for row in list_keys(store, args.org):
                state = "revoked " + row.revoked_at.isoformat(timespec="seconds") \
                    if row.revoked_at else "live"
                print(f"{row.id}\t{row.org}\t{row.created_at.isoformat(timespec='seconds')}"
                      f"\t{state}\t{row.label or ''}")
        elif not revoke_key(store, args.key_id):
            print(f"matcher: error: no live key {args.key_id!r}", file=sys.stderr)
            return 2
        else:
            print(f"key {args.key_id} revoked", file=sys.stderr)
        return 0
    finally:
        store.close()
