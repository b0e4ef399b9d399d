"""API keys stored hashed: `matcher keys add ORG` makes one and shows it once.

A key reads ``mk_<id>_<secret>``: `id` (12 hex digits) names the key in listings and logs and
finds its row; only the SHA-256 of the whole key is stored. The secret has 256 random bits,
so a fast hash is enough (no password stretching needed), and the stored hash is compared in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import select, update

from matcher.api.store import ApiKeyRow, Store, utcnow

PREFIX = "mk_"
_KEY = re.compile(r"mk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")
_ORG = re.compile(r"[^\x00-\x1f\x7f]{1,200}")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_id(key: str) -> str | None:
    """The public id of a well-formed stored-style key, else None."""
    m = _KEY.fullmatch(key)
    return m.group(1) if m else None


def check_org(org: str) -> str:
    """An organisation name as keys carry it: 1-200 characters, no control characters."""
    if not _ORG.fullmatch(org) or org != org.strip():
        raise ValueError(f"organisation {org!r}: 1-200 characters, no control characters and "
                         "no leading or trailing spaces")
    return org


def add_key(store: Store, org: str, label: str | None = None) -> tuple[ApiKeyRow, str]:
    """A new key for `org`: its row and the key itself (shown once, never stored)."""
    check_org(org)
    kid = secrets.token_hex(6)
    key = f"{PREFIX}{kid}_{secrets.token_urlsafe(32)}"
    row = ApiKeyRow(id=kid, org=org, key_hash=hash_key(key), label=label,
                    created_at=utcnow())
    with store.session() as s:
        s.add(row)
    return row, key


def list_keys(store: Store, org: str | None = None) -> list[ApiKeyRow]:
    q = select(ApiKeyRow).order_by(ApiKeyRow.org, ApiKeyRow.created_at)
    if org is not None:
        q = q.where(ApiKeyRow.org == org)
    with store.session() as s:
        return list(s.scalars(q).all())


def revoke_key(store: Store, kid: str) -> bool:
    """Revoke the key with this id; False when there is no such key or it was revoked."""
    with store.session() as s:
        res = s.execute(update(ApiKeyRow).where(ApiKeyRow.id == kid,
                                                ApiKeyRow.revoked_at.is_(None))
                        .values(revoked_at=utcnow()))
        return bool(res.rowcount)  # type: ignore[attr-defined]


def org_of_stored_key(store: Store, key: str) -> str | None:
    """The organisation of a live stored key, or None."""
    kid = key_id(key)
    if kid is None:
        return None
    with store.session() as s:
        row = s.get(ApiKeyRow, kid)
        if row is None or row.revoked_at is not None:
            return None
        ok = hmac.compare_digest(row.key_hash, hash_key(key))
        return row.org if ok else None
