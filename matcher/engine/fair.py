"""Fair, bounded admission: per-organisation caps, round-robin between organisations.

`FairGate` guards synchronous solves (a request thread waits for a slot); `FairQueue` orders
queued jobs for the job runner's slots. Beyond an organisation's cap both refuse at once
(`Busy`, which the API answers with 429 and `Retry-After`) instead of letting one caller's
burst delay everyone.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


class Busy(RuntimeError):
    """Refused: the organisation is at its cap. `retry_after` in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class _RoundRobin:
    """Organisations in the order they are next served: the one served longest ago (or
    never) first, so that an organisation just served waits behind every other."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}  # organisation -> when it was last served (a count)
        self._clock = 0

    def add(self, org: str) -> None:
        self._last.setdefault(org, -1)

    @property
    def order(self) -> list[str]:
        return sorted(self._last, key=lambda o: self._last[o])  # stable: arrival among ties

    def served(self, org: str) -> None:
        self._clock += 1
        self._last[org] = self._clock


class FairGate:
    """At most `slots` holders at once; an organisation holds or waits for at most
    `per_org`; free slots go to waiting organisations in turn."""

    def __init__(self, slots: int, per_org: int, retry_after: int = 2) -> None:
        self.slots = slots
        self.per_org = per_org
        self.retry_after = retry_after
        self._cond = threading.Condition()
        self._held: dict[str, int] = {}
        self._waiting: dict[str, deque[object]] = {}
        self._rr = _RoundRobin()
        self.served: list[str] = []  # organisations in the order they got a slot (recent)

    def _free(self) -> int:
        return self.slots - sum(self._held.values())

    def _next(self) -> object | None:
        for org in self._rr.order:
            if self._waiting.get(org):
                return self._waiting[org][0]
        return None

    def check(self, org: str) -> None:
        """`Busy` now if `org` is at its cap (before the caller reads a big request body)."""
        with self._cond:
            mine = self._held.get(org, 0) + len(self._waiting.get(org, ()))
            if mine >= self.per_org:
                raise Busy(f"organisation {org} already has {mine} synchronous solves running "
                           f"or waiting (limit {self.per_org})", self.retry_after)

    def acquire(self, org: str, timeout: float | None = None) -> None:
        """Wait for a slot (in turn with other organisations); `Busy` when `org` already
        holds or waits for `per_org` of them, or when `timeout` passes."""
        ticket = object()
        with self._cond:
            mine = self._held.get(org, 0) + len(self._waiting.get(org, ()))
            if mine >= self.per_org:
                raise Busy(f"organisation {org} already has {mine} synchronous solves running "
                           f"or waiting (limit {self.per_org})", self.retry_after)
            self._waiting.setdefault(org, deque()).append(ticket)
            self._rr.add(org)
            ok = self._cond.wait_for(lambda: self._free() > 0 and self._next() is ticket,
                                     timeout)
            self._waiting[org].remove(ticket)
            if not ok:
                self._cond.notify_all()
                raise Busy("the server is busy with other synchronous solves",
                           self.retry_after)
            self._held[org] = self._held.get(org, 0) + 1
            self._rr.served(org)
            self.served.append(org)
            del self.served[:-1000]
            self._cond.notify_all()

    def release(self, org: str) -> None:
        with self._cond:
            self._held[org] -= 1
            self._cond.notify_all()


@dataclass
class _Org(Generic[T]):
    queued: deque[tuple[Hashable, T]] = field(default_factory=deque)
    running: int = 0


class FairQueue(Generic[T]):
    """Queued items per organisation; `pop` hands out the next item round-robin among the
    organisations below `max_running`. Not thread-safe: the caller holds its own lock."""

    def __init__(self, max_running: int, max_queued: int, retry_after: int = 5) -> None:
        self.max_running = max_running
        self.max_queued = max_queued
        self.retry_after = retry_after
        self._orgs: dict[str, _Org[T]] = {}
        self._rr = _RoundRobin()

    def push(self, org: str, key: Hashable, item: T) -> None:
        o = self._orgs.setdefault(org, _Org())
        if len(o.queued) >= self.max_queued:
            raise Busy(f"organisation {org} already has {len(o.queued)} jobs queued "
                       f"(limit {self.max_queued})", self.retry_after)
        o.queued.append((key, item))
        self._rr.add(org)

    def remove(self, key: Hashable) -> bool:
        """Drop a queued item; False when it is not queued (running or gone)."""
        for o in self._orgs.values():
            for entry in o.queued:
                if entry[0] == key:
                    o.queued.remove(entry)
                    return True
        return False

    def pop(self) -> tuple[str, Hashable, T] | None:
        """The next item to run (its organisation counts it as running), or None."""
        for org in list(self._rr.order):
            o = self._orgs[org]
            if o.queued and o.running < self.max_running:
                key, item = o.queued.popleft()
                o.running += 1
                self._rr.served(org)
                return org, key, item
        return None

    def done(self, org: str) -> None:
        self._orgs[org].running -= 1

    def drain(self) -> list[Hashable]:
        """Every queued key, removed."""
        keys = [k for o in self._orgs.values() for k, _ in o.queued]
        for o in self._orgs.values():
            o.queued.clear()
        return keys

    def counts(self, org: str) -> tuple[int, int]:
        o = self._orgs.get(org)
        return (0, 0) if o is None else (o.running, len(o.queued))


def with_slot(gate: FairGate, org: str, fn: Callable[[], T], timeout: float | None) -> T:
    """`fn()` while holding one of `gate`'s slots for `org`."""
    gate.acquire(org, timeout)
    try:
        return fn()
    finally:
        gate.release(org)
