"""Helpers shared by the benchmark scripts: machine facts, scratch databases, timed commands."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def cpu_reference() -> float:
    """Milliseconds for a fixed pure-Python loop (best of 5). The same code on the same kind of
    machine has run 1.5x slower on some days: this says what kind of day a run had."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.perf_counter() - started)
    return best * 1000


def scratch_postgres(name: str) -> str:
    """A fresh, empty PostgreSQL database; returns its URL."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_postgres(name: str) -> None:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def flask(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Run `flask --app app ARGS` as a user would; returns (seconds, output). Fails loudly."""
    started = time.perf_counter()
    done = subprocess.run([FLASK, "--app", "app", *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed ({done.returncode}):\n"
                         f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def run_script(path: str, args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Run a script of this repository with the benchmark's interpreter; (seconds, output). Fails loudly."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / path), *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{path} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout
