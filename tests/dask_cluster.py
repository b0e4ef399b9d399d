"""A real Dask cluster for the engine's tests: `dask scheduler` and `dask worker` processes on
127.0.0.1, each in its own session so that a test can kill one like a lost machine."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    memory_limit: str = "2GiB"

    def add_worker(self, name: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [str(BIN / "dask"), "worker", self.address, "--host", "127.0.0.1",
             "--nthreads", "1", "--memory-limit", self.memory_limit, "--no-dashboard",
             # Its HTTP server (health, metrics) on loopback too, not on every interface.
             "--dashboard-address", "127.0.0.1:0",
             "--name", name],
            env=_env(), start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.workers.append(proc)
        return proc

    def wait_for_workers(self, n: int, timeout: float = 60.0) -> None:
        from distributed import Client

        with Client(self.address, timeout=timeout) as c:
            c.wait_for_workers(n, timeout=timeout)

    def kill_worker_of_pid(self, pid: int) -> None:
        """SIGKILL the whole `dask worker` (nanny and worker) that runs process `pid`."""
        os.killpg(os.getpgid(pid), signal.SIGKILL)

    def stop(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*self.workers, self.scheduler]:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def _env() -> dict[str, str]:
    # A task whose worker dies is retried once on another worker (as the engine's own
    # LocalCluster does); quiet logs.
    return {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
            "DASK_LOGGING__DISTRIBUTED": "error"}


def start(n_workers: int = 2, memory_limit: str = "2GiB") -> Cluster:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    sched = subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--no-dashboard", "--dashboard-address", "127.0.0.1:0"],
        env=_env(), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cluster = Cluster(address, sched, memory_limit=memory_limit)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or sched.poll() is not None:
                    raise RuntimeError("dask scheduler did not start") from None
                time.sleep(0.2)
        for i in range(n_workers):
            cluster.add_worker(f"w{i}")
        cluster.wait_for_workers(n_workers)
    except BaseException:
        cluster.stop()
        raise
    return cluster
