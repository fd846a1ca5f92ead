"""API ingest throughput: POST /api/v1/proofs with batches of 1 and of 500.

usage: flock /tmp/bench.lock .venv/bin/python scripts/bench/api_ingest.py [--backends sqlite,postgresql]
           [--single 300] [--batches 20] [--clients 2] [--workers 2] [--worker-class sync|gthread]
           [--threads 2] [--client socket|http] [--skip-test-client]

Load bar (issue 23), through gunicorn on PostgreSQL: >= 3,000 proofs/s in batches of 500 and
>= 300 single-proof requests/s; p50/p99 per request are reported, and afterwards every accepted
proof must be found stored and scored (a burst scoring worker runs the queued jobs at the end, untimed).

Two transports: the Flask test client (in-process, no HTTP) and a real gunicorn server on
127.0.0.1 started here as a subprocess and stopped at the end. Scoring is queued to real Redis
(REDIS_URL, default redis://127.0.0.1:6379/15) and not run during the timing, so the figure is
ingest only; afterwards `flask worker scoring --burst` runs the queued jobs and every proof is
checked scored. The CPU each kind of process spent per request is printed with the figures.
PostgreSQL runs in a scratch database (wb_bench_api), dropped afterwards.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.scoring.jobs import PENDING_FLAG  # noqa: E402
from scripts.bench.common import ROOT, cpu_reference, drop_postgres, flask, machine, scratch_postgres  # noqa: E402

PG_NAME = "wb_bench_api"
WORKERS = 200
COMMENTS = ["这个颜色好适合黄皮", "主播讲得很清楚，已下单", "质地很轻薄，夏天用刚好", "价格有点贵但是效果不错",
            "求链接", "第二次回购了，持妆很久", "包装很精致送人合适", "试色很真实，点赞"]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

Post = Callable[[bytes], int]


def seed(app) -> None:  # noqa: ANN001
    """One brand, room and campaign and WORKERS workers, stored directly (the API needs only these)."""
    from app.intake.services import evidence, records
    from models import Brand, Campaign, Room, Worker, db

    vault = app.extensions["pii"]
    with app.app_context():
        db.session.add(Brand(**evidence.brand_columns(records.parse_brand(
            {"id": "b1", "name": "Glow", "kyc_status": "verified"}), vault)))
        db.session.add(Room(id="r1", platform="douyin", name="Glow 直播间"))
        db.session.flush()
        db.session.add(Campaign(**records.parse_campaign({"id": "c1", "brand_id": "b1", "room_id": "r1",
                                                          "action": "comment", "reward_cents": 100,
                                                          "budget_cents": 10_000_000}, 0.15)))
        for i in range(WORKERS):
            db.session.add(Worker(**evidence.worker_columns(records.parse_worker(
                {"id": f"w{i}", "created_at": "2026-03-01T12:00:00+08:00", "phone": f"+861380013{i:04d}"}), vault)))
        db.session.commit()


def proof(pid: str, rng: random.Random) -> dict:
    minute = rng.randrange(0, 50)
    return {
        "id": pid, "campaign_id": "c1", "worker_id": f"w{rng.randrange(WORKERS)}",
        "accepted_at": f"2026-10-01T20:{minute:02d}:00+08:00",
        "submitted_at": f"2026-10-01T20:{minute + 5:02d}:00+08:00",
        "ip": f"223.{rng.randrange(104, 120)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
        "watch_seconds": rng.randrange(30, 300), "comment_text": rng.choice(COMMENTS),
        "screenshot_sha256": f"{rng.getrandbits(256):064x}", "screenshot_phash": f"{rng.getrandbits(64):016x}",
        "device": {"fingerprint": f"fp-{rng.getrandbits(40):x}", "platform": "iPhone", "os": "iOS 18.1",
                   "screen": "1170x2532", "timezone": "Asia/Shanghai", "language": "zh-CN", "webdriver": False,
                   "emulator": False, "touch_points": 5, "hardware_concurrency": 6,
                   "canvas_hash": f"{rng.getrandbits(32):08x}", "webgl_renderer": "Apple GPU"},
    }


def bodies(tag: str, batch: int, count: int, seed: int) -> list[bytes]:
    """`count` request bodies of `batch` proofs each (a bare object when batch is 1), encoded up front."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        items = [proof(f"{tag}-{n}-{k}", rng) for k in range(batch)]
        out.append(json.dumps(items[0] if batch == 1 else items, ensure_ascii=False).encode())
    return out


def timed(post: Post, payloads: list[bytes], clients: int, latencies: list[float] | None = None) -> float:
    """Send every payload with `clients` threads; seconds taken (each request's seconds appended to
    `latencies`). Any non-202 stops the run."""
    chunks = [payloads[i::clients] for i in range(clients)]
    errors: list[str] = []
    latencies = [] if latencies is None else latencies

    def run(chunk: list[bytes]) -> None:
        for body in chunk:
            sent = time.perf_counter()
            status = post(body)
            latencies.append(time.perf_counter() - sent)
            if status != 202:
                errors.append(f"HTTP {status}")
                return

    threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"ingest failed: {errors[:3]}")
    return time.perf_counter() - started


def bench_app(env: dict[str, str]):  # noqa: ANN201 - flask.Flask
    """The app the test client drives, with the schema built from the models and seeded.

    create_all rather than `flask db upgrade`, so the figure does not wait on migrations that
    other work in progress has not written yet.
    """
    from app import create_app
    from config import DevelopmentConfig, sqlalchemy_url
    from models import db

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = sqlalchemy_url(env["DATABASE_URL"])
        REDIS_URL = env["REDIS_URL"]
        INSTANCE_DIR = Path(env["INSTANCE_DIR"])

    app = create_app(BenchConfig)
    with app.app_context():
        db.create_all()
    seed(app)
    return app


def test_client_poster(app, token: str) -> Post:  # noqa: ANN001
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return lambda body: client.post("/api/v1/proofs", data=body, headers=headers).status_code


def http_poster(port: int, token: str) -> Post:
    """One persistent connection per client thread: kept alive when the server allows it (gthread),
    reopened by http.client when the server closes it after each answer (sync workers)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    local = threading.local()

    def post(body: bytes) -> int:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.request("POST", "/api/v1/proofs", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        except (http.client.HTTPException, OSError):
            conn.close()
            local.conn = None
            raise
        if response.will_close:
            conn.close()
        return response.status

    return post


def socket_poster(port: int, token: str) -> Post:
    """A new connection per request, as sync workers answer (they close after each): the request sent
    in one write, the answer read to the server's close, the socket closed at once. http.client took
    0.4 ms of CPU a request on the 2-core machine that also serves, and closed late, which holds the
    worker in gunicorn's lingering close (it waits for the client's close, RFC 9112 9.6)."""
    head = (f"POST /api/v1/proofs HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nConnection: close\r\nContent-Length: ").encode()

    def post(body: bytes) -> int:
        with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
            sock.sendall(b"%s%d\r\n\r\n%s" % (head, len(body), body))
            answer = bytearray()
            while chunk := sock.recv(65536):
                answer += chunk
        return int(answer[9:12])  # "HTTP/1.1 202 ACCEPTED"

    return post


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], workers: int, worker_class: str = "sync",
                   threads: int = 1) -> tuple[subprocess.Popen, int]:
    """gunicorn on 127.0.0.1, ready to serve (bounded wait), or SystemExit."""
    port = free_port()
    options = ["--worker-class", worker_class] + (["--threads", str(threads)] if worker_class == "gthread" else [])
    proc = subprocess.Popen([GUNICORN, "--workers", str(workers), *options, "--bind", f"127.0.0.1:{port}",
                             "--timeout", "120", "--log-level", "warning", "wsgi:app"],
                            cwd=ROOT, env={**os.environ, **env})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit("gunicorn did not answer within 30 s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def scoring_queue(redis_url: str):  # noqa: ANN201 - rq.Queue
    from redis import Redis
    from rq import Queue

    return Queue("scoring", connection=Redis.from_url(redis_url))


def measure(name: str, post: Post, args: argparse.Namespace, clients: int, seed: int) -> list[dict]:
    """Warm up, then time batches of 1 and of 500; one result row per batch size, with the CPU
    each kind of process on the machine spent per request meanwhile."""
    timed(post, bodies(f"{name}-warm", 1, clients * 2, seed), clients)
    rows = []
    for batch, count in ((1, args.single), (500, args.batches)):
        payloads = bodies(f"{name}-b{batch}", batch, count, seed + batch)
        latencies: list[float] = []
        before = cpu_ticks()
        seconds = timed(post, payloads, clients, latencies)
        spent = cpu_per_request(before, cpu_ticks(), count)
        latencies.sort()
        rows.append({"transport": name, "clients": clients, "batch": batch, "proofs": batch * count,
                     "seconds": seconds, "per_s": batch * count / seconds, "requests_s": count / seconds,
                     "p50_ms": 1000 * latencies[len(latencies) // 2],
                     "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
                     "cpu_ms": spent})
    return rows


CPU_GROUPS = (("load client", "api_ingest"), ("gunicorn", "gunicorn"), ("postgres", "postgres"),
              ("redis", "redis-server"))  # first match wins: the client's command line names postgresql


def cpu_ticks() -> dict[str, tuple[str, int]]:
    """pid -> (process group, user + system clock ticks) for every process on the machine (Linux)."""
    ticks = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        group = next((name for name, marker in CPU_GROUPS if marker in command), "everything else")
        ticks[pid] = (group, int(fields[11]) + int(fields[12]))
    # The whole machine's idle time, and the time the hypervisor gave the VM's cores to others (steal):
    # a run with little idle was CPU-bound; one with much stolen ran on a slower machine than it looks.
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ticks["idle"] = ("idle", int(cpu[3]) + int(cpu[4]))
    ticks["steal"] = ("stolen by the host", int(cpu[7]))
    return ticks


def cpu_per_request(before: dict, after: dict, requests: int) -> dict[str, float]:
    """CPU ms per request of each process group between two `cpu_ticks` (other agents' work included
    under "everything else": it says how busy the machine was)."""
    spent: dict[str, float] = {}
    for pid, (group, ticks) in after.items():
        delta = ticks - before.get(pid, (group, 0))[1]
        if delta > 0:
            spent[group] = spent.get(group, 0.0) + delta
    hertz = os.sysconf("SC_CLK_TCK")
    return {group: 1000 * value / hertz / requests for group, value in spent.items()}


def stored_and_scored(app) -> tuple[int, int]:  # noqa: ANN001
    import sqlalchemy as sa

    from models import Proof, ProofScore, db

    with app.app_context():
        count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        counts = count(Proof), count(ProofScore)
        db.session.remove()
    return counts


def bench_backend(backend: str, workdir: Path, args: argparse.Namespace) -> list[dict]:
    url = f"sqlite:///{workdir / 'bench.db'}" if backend == "sqlite" else scratch_postgres(PG_NAME)
    env = {"DATABASE_URL": url, "INSTANCE_DIR": str(workdir / f"instance-{backend}"), "REDIS_URL": args.redis_url,
           "WORKBENCH_ENV": "development", "API_RATE_LIMIT": args.rate_limit}
    queue = scoring_queue(args.redis_url)
    queue.empty()
    queue.connection.delete(PENDING_FLAG)  # a run an earlier bench queued and removed would hold new ones back
    try:
        app = bench_app(env)
        _, token = flask(["api-tokens", "create", "bench"], env)
        token = token.strip().splitlines()[-1]
        rows = [] if args.skip_test_client else measure("test client", test_client_poster(app, token), args, 1, 1)
        proc, port = start_gunicorn(env, args.workers, args.worker_class, args.threads)
        try:
            threaded = f" gthread x{args.threads}" if args.worker_class == "gthread" else ""
            transport = f"gunicorn -w{args.workers}{threaded}"
            poster = socket_poster if args.worker_class == "sync" and args.client == "socket" else http_poster
            rows += measure(transport, poster(port, token), args, args.clients, 2)
        finally:
            stop(proc)
        warm_ups = (0 if args.skip_test_client else 2) + 2 * args.clients
        sent = sum(r["proofs"] for r in rows) + warm_ups
        stored, _ = stored_and_scored(app)
        if stored != sent:
            raise SystemExit(f"{backend}: posted {sent} proofs but {stored} are stored")
        waiting = queue.count
        # The queued jobs themselves score: single proofs by the pending-scoring run(s), batches by their jobs.
        seconds, _ = flask(["worker", "scoring", "--burst", "--no-fork"], env)
        stored, scored = stored_and_scored(app)
        if scored != sent:
            raise SystemExit(f"{backend}: {sent} proofs accepted and stored but {scored} scored")
        print(f"  {backend}: {sent} proofs posted, stored and scored ({waiting} scoring jobs were queued; "
              f"a burst scoring worker ran them in {seconds:.0f} s, not timed above)", file=sys.stderr)
        _, verified = flask(["audit", "verify"], env)  # fails loudly on a broken chain
        print(f"  {backend}: audit chain: {verified.strip().splitlines()[-1]}", file=sys.stderr)
    finally:
        queue.delete(delete_jobs=True)
        if backend == "postgresql":
            drop_postgres(PG_NAME)
    return [{"backend": backend, **r} for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--single", type=int, default=300, help="requests of 1 proof per transport")
    parser.add_argument("--batches", type=int, default=20, help="requests of 500 proofs per transport")
    parser.add_argument("--clients", type=int, default=2, help="concurrent HTTP clients against gunicorn")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"),
                        help="gunicorn worker class (gthread keeps the clients' connections alive)")
    parser.add_argument("--threads", type=int, default=2, help="threads per gthread worker")
    parser.add_argument("--client", default="socket", choices=("socket", "http"),
                        help="load client for sync workers: bare sockets or http.client "
                             "(gthread: always http.client, kept alive)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--rate-limit", default="1000000 per minute",
                        help="the server's API_RATE_LIMIT: a sustained run must not meet the default 3000 per minute")
    parser.add_argument("--skip-test-client", action="store_true", help="measure through gunicorn only")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    reference = cpu_reference()  # before and after: what kind of day the run had (common.cpu_reference)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        for backend in args.backends.split(","):
            rows += bench_backend(backend, Path(tmp), args)
    print(f"{'backend':<11} {'transport':<13} {'clients':>7} {'batch':>5} {'proofs':>7} {'seconds':>8} "
          f"{'proofs/s':>9} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for r in rows:
        print(f"{r['backend']:<11} {r['transport']:<13} {r['clients']:>7} {r['batch']:>5} {r['proofs']:>7} "
              f"{r['seconds']:>8.2f} {r['per_s']:>9.0f} {r['requests_s']:>10.0f} {r['p50_ms']:>8.1f} "
              f"{r['p99_ms']:>8.1f}")
    print("CPU ms per request while timing, by process (Linux /proc; 'everything else' is the rest of the machine):")
    for r in rows:
        spent = ", ".join(f"{group} {ms:.2f}" for group, ms in sorted(r["cpu_ms"].items(), key=lambda kv: -kv[1]))
        print(f"  {r['backend']} {r['transport']} batch {r['batch']}: {spent}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"CPU reference loop {reference:.0f} ms before, {cpu_reference():.0f} ms after")


if __name__ == "__main__":
    main()
