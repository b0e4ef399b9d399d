"""Rate limits per API key and per client address, with the `limits` library.

Two budgets: all requests (`rate_limit_requests`, per key and per address) and failed
authentications (`rate_limit_failures`, per address and per presented key id), so that
guessing keys is slow and one client cannot starve the others.  Counters live in the
process's memory: each API process counts on its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


def parse_rates(text: str) -> list[RateLimitItem]:
    """'100/second;3000/minute' -> limits; '' -> none (no limit)."""
    return parse_many(text) if text.strip() else []


class RateLimiter:
    """`hit` counts one event against each of `items` for an identifier; it answers the
    seconds to wait when a budget is spent (the event is then not counted), else None."""

    def __init__(self, requests: str, failures: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self.requests = parse_rates(requests)
        self.failures = parse_rates(failures)

    def _retry_after(self, item: RateLimitItem, ident: str) -> int:
        reset = self._limiter.get_window_stats(item, ident).reset_time
        return max(1, math.ceil(reset - time.time()))

    def spent(self, items: Sequence[RateLimitItem], ident: str) -> int | None:
        """Seconds until the budget has room again, without counting; None when it has."""
        for item in items:
            if not self._limiter.test(item, ident):
                return self._retry_after(item, ident)
        return None

    def hit(self, items: Sequence[RateLimitItem], ident: str) -> int | None:
        waits = self.spent(items, ident)
        if waits is not None:
            return waits
        for item in items:
            self._limiter.hit(item, ident)
        return None
