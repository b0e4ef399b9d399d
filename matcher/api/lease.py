"""The store's housekeeping thread: leases, stop requests from other processes, retention.

Every second (or `lease_seconds / 3` if shorter) it renews this process's leases (the
heartbeat of its jobs), marks jobs whose owner stopped renewing as interrupted, and hands
stop requests made through another process (DELETE reached a different server) to the local
runner.  Once an hour, and
at start, it purges finished jobs older than the retention setting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from matcher.api.store import Store

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 3600.0


class Housekeeper:
    """Runs `tick` on a daemon thread until `close`; `tick` can also be called directly."""

    def __init__(self, store: Store, *, stop_job: Callable[[str], None],
                 retention_days: float | None, interval: float | None = None) -> None:
        self.store = store
        self._stop_job = stop_job
        self._retention = None if retention_days is None else timedelta(days=retention_days)
        # At least once a second: the heartbeat clients see, and how soon after a lease
        # expires another process notices.
        self._interval = interval or max(0.05, min(1.0, store.lease_seconds / 3))
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_purge = float("-inf")

    def start(self) -> None:
        self._closing.clear()
        self._thread = threading.Thread(target=self._loop, name="matcher-housekeeper",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closing.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def tick(self) -> None:
        """One round: renew, expire, forward stop requests, purge when due."""
        self.store.renew_leases()
        self.store.expire_leases()
        for job_id in self.store.stop_requests():
            self._stop_job(job_id)
        now = time.monotonic()
        if self._retention is not None and now - self._last_purge >= PURGE_EVERY_SECONDS:
            self._last_purge = now
            n = self.store.purge_finished(self._retention)
            if n:
                log.info("purged %d finished job(s) older than %s", n, self._retention)

    def _loop(self) -> None:
        while not self._closing.is_set():
            try:
                self.tick()
            except Exception:  # a database hiccup must not end the heartbeat for good
                log.exception("store housekeeping failed; retrying")
            self._closing.wait(self._interval)
