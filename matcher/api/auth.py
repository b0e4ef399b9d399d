"""Who is calling: API keys (stored hashed, or the dev/test `MATCHER_API_KEYS`), compared in
constant time, behind the rate limits of `ratelimit.py`.

Every failure is the same 401 whatever was wrong with the key, so the answer does not tell a
guesser which part was right.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, status

from matcher.api.keys import hash_key, key_id, org_of_stored_key
from matcher.api.ratelimit import RateLimiter
from matcher.api.settings import Settings
from matcher.api.store import Store


def _too_many(message: str, wait: int) -> HTTPException:
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, f"{message}; retry after {wait} s",
                         headers={"Retry-After": str(wait)})


class Authenticator:
    """Maps a key to its organisation and applies the rate limits; one per app."""

    def __init__(self, settings: Settings, store: Store) -> None:
        # Only hashes are kept, also of the keys from the environment.
        self._dev_keys = [(hash_key(k), org) for k, org in settings.api_keys.items()]
        self._store = store
        self.limiter = RateLimiter(settings.rate_limit_requests, settings.rate_limit_failures)

    def org_of(self, key: str) -> str | None:
        """The key's organisation, or None; a stored key needs one indexed read."""
        digest = hash_key(key)
        found = None
        for known, org in self._dev_keys:  # all compared: the time does not tell which
            if hmac.compare_digest(known, digest):
                found = org
        return found if found is not None else org_of_stored_key(self._store, key)

    def authenticate(self, key: str | None, address: str) -> str:
        """The caller's organisation; 401 without a valid key, 429 over a rate limit."""
        lim = self.limiter
        by_address = f"address:{address}"
        wait = lim.spent(lim.failures, by_address)
        if wait is not None:
            raise _too_many(f"too many failed API key attempts from {address}", wait)
        kid = key_id(key) if key else None
        if kid is not None and (wait := lim.spent(lim.failures, f"key:{kid}")) is not None:
            raise _too_many(f"too many failed attempts with API key {kid}", wait)
        wait = lim.hit(lim.requests, by_address)
        if wait is not None:
            raise _too_many(f"too many requests from {address}", wait)
        org = self.org_of(key) if key else None
        if org is None:
            lim.hit(lim.failures, by_address)
            if kid is not None:
                lim.hit(lim.failures, f"key:{kid}")
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "missing API key (header X-API-Key)" if not key else "invalid API key",
                headers={"WWW-Authenticate": "APIKey"},
            )
        assert key is not None
        wait = lim.hit(lim.requests, f"key:{hash_key(key)}")
        if wait is not None:
            raise _too_many("too many requests with this API key", wait)
        return org
