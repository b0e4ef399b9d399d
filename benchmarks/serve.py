"""Starting a real `matcher serve` process for the service benchmarks.

One place for the free port and the wait for `/health`, which each service benchmark had
written for itself.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve(port: int, env: dict[str, str], quiet_stderr: bool = False) -> subprocess.Popen[bytes]:
    """`matcher serve --port PORT` with `env` added to this environment, once `/health`
    answers; exits the benchmark if the server dies while starting."""
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "matcher"), "serve", "--port", str(port)],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL if quiet_stderr else None)
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
            return proc
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise SystemExit("the server did not start") from None
            time.sleep(0.2)
