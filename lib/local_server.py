"""`streamlit run app.py` on a free loopback port, and the Debian chromium that drives it: what the browser
journeys (tests/browser), the benchmark's browser stages (lib.bench_browser) and scripts/page_timings.py
share. Never `playwright install`: the browser is Debian's package."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 60) -> float:
    """Seconds until 127.0.0.1:`port` accepts a connection (`seconds` at most; then raises)."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing answered on port {port} within {seconds:.0f} s")


@contextmanager
def streamlit_app(env: dict[str, str], *, port: int | None = None, stdout=subprocess.DEVNULL
                  ) -> Iterator[tuple[str, subprocess.Popen]]:
    """The app served with `env` (DATABASE_URL, CRHQ_COOKIE_KEY …): (its address, the process) once its
    port answers; stopped afterwards (killed if it has not stopped 30 s after being asked: Streamlit's
    shutdown took over 10 s on a loaded machine once)."""
    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=stdout, stderr=subprocess.STDOUT if stdout is not subprocess.DEVNULL else stdout)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
