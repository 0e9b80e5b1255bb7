"""Pieces every benchmark shares: a throwaway PostgreSQL database, a gunicorn server, machine facts."""

from __future__ import annotations

import contextlib
import platform
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def recreate_postgres(url: str) -> None:
    """Drop and create the benchmark's own PostgreSQL database (its name must start with 'bench')."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not re.fullmatch(r"bench\w*", name):
        raise SystemExit(f"Refusing to drop {name!r}: the bench database name must start with 'bench'.")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


@contextlib.contextmanager
def gunicorn(*, port: int, workers: int, log: Path) -> Iterator[list[str]]:
    """Run gunicorn on 127.0.0.1:port for the duration of the block, then stop it; yield its command."""
    if _port_open(port):
        raise SystemExit(f"Port {port} is in use; pass --port.")
    command = [
        str(VENV_BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--worker-class", "sync", "--log-level", "warning",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({process.returncode}); see {log}:\n{log.read_text()[-2000:]}")
            if _port_open(port):
                break
            time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start within 60 s")
        yield command
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo (or what platform knows)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def record_block(path: Path, marker: str, block: str) -> None:
    """Replace the block between `<!-- {marker}:start -->` and its end marker in the results file (or append it)."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    new = f"{start}\n{block}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), flags=re.DOTALL)
    text = pattern.sub(lambda _: new, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + new + "\n"
    path.write_text(text)
