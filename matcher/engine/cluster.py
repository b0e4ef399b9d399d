"""Starting or joining a Dask cluster."""

from __future__ import annotations

import logging
from typing import Any

from matcher.engine.executor import DaskExecutor, EngineError

# A task whose worker dies is retried once on another worker; a second death is the
# subproblem's fault (out of memory, a crash) and ends the solve with the cause.
ALLOWED_FAILURES = 1

log = logging.getLogger(__name__)


class Engine:
    """A connection to a Dask cluster, and the local cluster when this process started it."""

    def __init__(self, client: Any, cluster: Any = None, memory_limit: str | None = None):
        self.client = client
        self.cluster = cluster
        self.memory_limit = memory_limit

    @classmethod
    def local(cls, n_workers: int = 2, memory_limit: str = "2GiB") -> Engine:
        """A `LocalCluster` of `n_workers` single-threaded worker processes on 127.0.0.1, each
        held to `memory_limit` by its nanny (restarted when it goes beyond)."""
        import dask
        from distributed import Client, LocalCluster

        with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
            cluster = LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True,
                # Its HTTP server (health, metrics) on loopback, on a free port.
                memory_limit=memory_limit, host="127.0.0.1", dashboard_address="127.0.0.1:0",
                silence_logs=logging.ERROR)
            client = Client(cluster)
        return cls(client, cluster, memory_limit)

    @classmethod
    def connect(cls, address: str, timeout: float = 10.0) -> Engine:
        """Join the cluster whose scheduler listens at `address` (``tcp://HOST:PORT``)."""
        from distributed import Client

        try:
            client = Client(address, timeout=timeout)
        except OSError as err:
            raise EngineError(f"cannot reach the Dask scheduler at {address}: {err}") from None
        limits = {w.get("memory_limit") for w in
                  client.scheduler_info().get("workers", {}).values()}
        limit = None
        if len(limits) == 1 and (only := limits.pop()):
            limit = f"{only / 2**30:.1f} GiB" if only >= 2**30 else f"{only / 2**20:.0f} MiB"
        return cls(client, None, limit)

    def executor(self) -> DaskExecutor:
        """The solver's `SolveParams.executor` for this cluster."""
        return DaskExecutor(self.client, self.memory_limit)

    def n_workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))

    def close(self) -> None:
        """Disconnect; a local cluster is shut down with its workers."""
        # Best effort within a few seconds (a shutdown has 10 s in all): a worker still busy
        # in a solver call is ended with its process when this one exits.
        try:
            self.client.close(timeout=2)
        except (TimeoutError, OSError) as err:
            log.warning("closing the Dask client: %s", err)
        if self.cluster is not None:
            try:
                self.cluster.close(timeout=4)
            except (TimeoutError, OSError) as err:
                log.warning("closing the local Dask cluster: %s", err)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
