"""Online scoring latency: one proof through the API path with 1,000,000 proofs stored in PostgreSQL.

Run through scripts/bench/scoring_speed.py online. Steps: a scratch database (wb_bench_online)
is migrated and loaded with the simulated world by the real `flask import --no-score` (the
import service); the batch bench's model is registered and promoted; then each request POSTs
one proof to /api/v1/proofs through the Flask test client with no Redis, so the request stores
the proof and scores it in-process: history lookups, rules, model, explanation, storage,
routing. Each request runs in its own app context, as under a real server, so its database
session ends with it. Latency is measured per request; the database is dropped after (--keep-db keeps it;
--reuse-db first deletes what earlier runs POSTed, so every run scores the same sample against
the same stored world).

Where scoring runs (--via):
- inprocess (default): no Redis, so the request itself scores the proof before it answers; the
  split below times each part of it.
- worker: with Redis, as in production. The API stores the proof and queues a scoring job, and a
  real `flask worker scoring --no-fork` process (on the other core) scores it. The latency is
  from the POST until the job's result is in Redis, the score committed; the POST alone is
  reported too.

Two samples (--sample):
- copies (default, the sample of every earlier figure): random stored proofs resubmitted under
  new ids at their original moments. Each copy has history on both sides of it, and its own
  original as a twin at the same instant on the same account, device and address.
- newest: the world's newest proofs, taken out of the store and POSTed back in time order, as
  they would arrive online: each finds the whole history before it and nothing after. The end of
  the simulated month is busy, so these contexts are no smaller. After the run they count as
  imported again (with the scores the run gave them), so the world stays whole for later runs.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import os
import random
import re
import statistics
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import joblib

from scripts.bench.common import (
    FLASK,
    PG_ADMIN_URL,
    ROOT,
    cpu_reference,
    drop_postgres,
    flask,
    machine,
    scratch_postgres,
)

PG_NAME = "wb_bench_online"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")  # flushed by --via worker


def pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def sample_proofs(world: Path, count: int, seed: int = 3, live: set[str] | None = None) -> list[dict]:
    """`count` stored proofs picked at random, to resubmit under new ids; only from `live` campaigns
    when given (a campaign held by compliance screening takes no completions)."""
    with (world / "proofs.jsonl").open(encoding="utf-8") as handle:
        lines = handle.readlines()
    if live is not None:
        lines = [line for line in lines if json.loads(line)["campaign_id"] in live]
    picked = random.Random(seed).sample(lines, count)
    return [json.loads(line) for line in picked]


SUBMITTED = re.compile(r'"submitted_at":"([^"]+)"')


def newest_proofs(world: Path, count: int) -> list[dict]:
    """The world's `count` newest proofs (by submission time), oldest first."""
    with (world / "proofs.jsonl").open(encoding="utf-8") as handle:
        lines = handle.readlines()
    times = [datetime.fromisoformat(found.group(1)) if (found := SUBMITTED.search(line)) else None
             for line in lines]
    order = sorted((t, k) for k, t in enumerate(times) if t is not None)[-count:]
    return [json.loads(lines[k]) for _, k in order]


def take_out(ids: list[str]) -> int:
    """Remove these proofs from the store (with what import attached to them) to POST them anew."""
    import sqlalchemy as sa

    from models import FraudFlag, Proof, ProofScore, ReviewDecision, ReviewItem, db

    for model in (FraudFlag, ReviewDecision, ReviewItem, ProofScore):
        db.session.execute(sa.delete(model).where(model.proof_id.in_(ids)))
    removed = db.session.execute(sa.delete(Proof).where(Proof.id.in_(ids))).rowcount
    db.session.commit()
    return removed


def bench_app(url: str, workdir: Path, redis_url: str | None = None):  # noqa: ANN201 - Flask app
    from app import create_app
    from config import DevelopmentConfig

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url
        INSTANCE_DIR = workdir / "online-instance"
        MODEL_DIR = workdir / "online-models"
        REDIS_URL = redis_url

    return create_app(BenchConfig)


def install_model(app, bundle_path: Path) -> str:  # noqa: ANN001
    from app.scoring.services.models_registry import promote, register_candidate
    from ml.registry import save_artifact
    from models import db

    bundle = joblib.load(bundle_path)
    bundle.version = f"bench-{int(time.time())}"
    path, digest = save_artifact(bundle, app.config["MODEL_DIR"])
    promote(register_candidate(bundle, path, digest, bundle.meta.get("metrics", {})), reason="online bench")
    db.session.commit()
    return bundle.version


def new_id(proof: dict, run: str, k: int) -> str:
    return f"{proof['id']}-{run}-{k}"


def timed_posts(client, token: str, proofs: list[dict], run: str | None,  # noqa: ANN001
                scored: Callable[[], None] | None = None, answered: list[float] | None = None) -> list[float]:
    """POST each proof, timed; under a new id (and a new screenshot) for a run of copies, as it is
    when `run` is None. With `scored`, each time runs on until it returns (the POST's own time goes
    to `answered`)."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies = []
    for k, proof in enumerate(proofs):
        body = {**proof, "id": new_id(proof, run, k)} if run else proof
        if run and "screenshot_sha256" in proof:  # a new screenshot: a resubmitted file would be a hard hold
            digest = hashlib.sha256(body["id"].encode()).hexdigest()
            body.update(screenshot_sha256=digest, screenshot_phash=digest[:16])
        started = time.perf_counter()
        response = client.post("/api/v1/proofs", json=body, headers=headers)
        if scored:
            if answered is not None:
                answered.append(time.perf_counter() - started)
            scored()
        latencies.append(time.perf_counter() - started)
        if response.status_code != 202:
            raise SystemExit(f"POST failed {response.status_code}: {response.get_data(as_text=True)[:500]}")
    return latencies


def report(latencies: list[float], label: str) -> None:
    ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))]

    print(f"{label:<46} n={len(ms):<4} p50 {pct(50):6.1f} ms  p95 {pct(95):6.1f} ms  p99 {pct(99):6.1f} ms  "
          f"max {ms[-1]:6.1f} ms  mean {statistics.fmean(ms):6.1f} ms")


PARTS = (("app.intake.services.intake", "ingest_proofs", "intake (validate + store)"),
         ("app.scoring.services.scoring", "build_context", "history lookups (scoring_context)"),
         ("app.scoring.services.scoring", "evaluate", "rules engine"),
         ("app.scoring.services.scoring", "active_model_outcome", "model (load check + predict)"),
         ("app.scoring.services.scoring", "explanations", "explanations"),
         ("app.scoring.services.scoring", "store_scores", "store score"),
         ("app.scoring.services.scoring", "route_proofs", "route (queue / policy approval)"))


def instrument(split: dict[str, list[float]]) -> None:
    """Wrap the parts of the request path to time each one per request (no change to the code)."""
    import importlib

    for module_name, attr, label in PARTS:
        module = importlib.import_module(module_name)
        original = getattr(module, attr)

        def timed(*args, _original=original, _label=label, **kwargs):  # noqa: ANN002, ANN003, ANN202
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                split.setdefault(_label, []).append(time.perf_counter() - started)

        setattr(module, attr, timed)


class CollectorClock:
    """Time Python's cyclic garbage collector spends while requests run: its pauses land on
    whichever request allocated last, so they show in the tail and nowhere in the split."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {}
        self._started = 0.0

    def __enter__(self) -> CollectorClock:
        gc.callbacks.append(self._tick)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._tick)

    def _tick(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.setdefault(info["generation"], []).append(time.perf_counter() - self._started)

    def summary(self) -> str:
        parts = [f"gen{gen} {len(p)}x {sum(p) * 1000:.0f} ms (max {max(p) * 1000:.1f})"
                 for gen, p in sorted(self.pauses.items())]
        return "; ".join(parts) or "no collections"


def forget_earlier_runs() -> int:
    """Delete the proofs earlier runs POSTed (and what scoring attached to them): every run resubmits
    the same sample, and copies piling up on the same accounts at the same moments would trip the
    velocity rule and grow every context, measuring the bench's own debris instead of the world."""
    import sqlalchemy as sa

    from app.platform.bulk import vacuum_after_bulk_load
    from models import FraudFlag, Proof, ProofScore, ReviewDecision, ReviewItem, db

    posted = sa.select(Proof.id).where(Proof.source == "api").scalar_subquery()
    for model in (FraudFlag, ReviewDecision, ReviewItem, ProofScore):
        db.session.execute(sa.delete(model).where(model.proof_id.in_(posted)))
    removed = db.session.execute(sa.delete(Proof).where(Proof.source == "api")).rowcount
    db.session.commit()
    # The copies sat at their originals' moments, in the very index ranges the next run reads:
    # left as dead rows (autovacuum may be off or behind), they would slow every later run.
    vacuum_after_bulk_load(*(model.__table__ for model in (Proof, ProofScore, ReviewItem, ReviewDecision, FraudFlag)))
    return removed


class ScoringWorker:
    """A real `flask worker scoring --no-fork` process on the bench database, and a wait for the
    scoring jobs the API queued (their ids are caught on the way out of the route)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.queued: list[str] = []
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> ScoringWorker:
        from redis import Redis

        from app.intake import routes

        self.redis = Redis.from_url(self.env["REDIS_URL"])
        self.redis.flushdb()
        original = routes.enqueue_scoring

        def catching(proof_ids: list[str]) -> list[str]:
            ids = original(proof_ids)
            self.queued.extend(ids)
            return ids

        routes.enqueue_scoring = catching
        self._restore = lambda: setattr(routes, "enqueue_scoring", original)
        with self.log.open("w") as out:
            self.process = subprocess.Popen([FLASK, "--app", "app", "worker", "scoring", "--no-fork"], cwd=ROOT,
                                            env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT)
        return self

    def __exit__(self, *exc: object) -> None:
        self._restore()
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)

    def wait(self, timeout: int = 120) -> None:
        """Until every queued job has a result; a failed or missing one stops the bench."""
        from rq.job import Job
        from rq.results import Result

        for job_id in self.queued:
            result = Result.fetch_latest(Job(job_id, connection=self.redis), timeout=timeout)
            if result is None or result.type != Result.Type.SUCCESSFUL:
                tail = self.log.read_text()[-2000:]
                raise SystemExit(f"scoring job {job_id} {'timed out' if result is None else 'failed'}:\n{tail}")
        self.queued.clear()


def give_back(ids: list[str]) -> None:
    """The newest proofs, POSTed back by the run, belong to the world again: the next run's
    forget_earlier_runs must not remove them."""
    import sqlalchemy as sa

    from models import Proof, db

    db.session.execute(sa.update(Proof).where(Proof.id.in_(ids)).values(source="import"))
    db.session.commit()


def check_scored(app, ids: list[str]) -> dict:  # noqa: ANN001
    import sqlalchemy as sa

    from models import ProofScore, db

    rows = db.session.execute(sa.select(ProofScore.route, ProofScore.model_version, ProofScore.degraded)
                              .where(ProofScore.proof_id.in_(ids))).all()
    return {"scored": len(rows), "with_model": sum(1 for r in rows if r.model_version),
            "degraded": sum(1 for r in rows if r.degraded),
            "routes": {route: sum(1 for r in rows if r.route == route) for route in {r.route for r in rows}}}


def online(args: argparse.Namespace) -> None:
    from scripts.bench.scoring_speed import MODEL_FILE, model_for

    world = args.workdir / f"speed-w{args.proofs}"
    model_for(args)  # simulates the world and trains the bench model if needed
    url = scratch_postgres(PG_NAME) if not args.reuse_db else pg_url(PG_NAME)
    env = {"DATABASE_URL": url, "INSTANCE_DIR": str(args.workdir / "online-instance"), "REDIS_URL": "",
           "MODEL_DIR": str(args.workdir / "online-models")}
    try:
        if not args.reuse_db:
            flask(["db", "upgrade"], env)
            print(f"importing {world} into PostgreSQL ({PG_NAME}) …", flush=True)
            seconds, _ = flask(["import", str(world), "--no-score"], env)
            print(f"import: {seconds:.0f} s", flush=True)
        via_worker = args.via == "worker"
        app = bench_app(url, args.workdir, REDIS_URL if via_worker else None)
        with app.app_context():
            import sqlalchemy as sa

            from app.auth.services.api_tokens import create_token
            from models import Campaign, Proof, db

            if args.reuse_db:
                print(f"removed {forget_earlier_runs()} proofs POSTed by earlier runs", flush=True)
            version = install_model(app, world / MODEL_FILE)
            _, token = create_token("online-bench")
            db.session.commit()
            client = app.test_client()
            if args.sample == "newest":
                proofs, run = newest_proofs(world, args.requests + 20), None
                print(f"took {take_out([p['id'] for p in proofs])} newest proofs out of the store to POST them",
                      flush=True)
                warm, timed = None, None
            else:
                live = set(db.session.scalars(sa.select(Campaign.id).where(Campaign.status == "active")))
                proofs = sample_proofs(world, args.requests + 20, live=live)
                run = f"o{int(time.time()) % 1_000_000}"  # fresh ids on every run, also with --reuse-db
                warm, timed = run + "w", run
            stored = db.session.scalar(sa.select(sa.func.count()).select_from(Proof))
        worker = ScoringWorker({**env, "REDIS_URL": REDIS_URL}, args.workdir / "online-worker.log") \
            if via_worker else contextlib.nullcontext()
        with worker:
            scored = worker.wait if via_worker else None
            # Each request in its own app context, as under a real server: the session ends with the
            # request (a rollback there would drop the connection's prepared statements).
            timed_posts(client, token, proofs[:20], warm, scored)  # warm-up: caches, connections, model load
            split: dict[str, list[float]] = {}
            instrument(split)
            answered: list[float] = []
            cpu_before = cpu_reference()
            with CollectorClock() as collector:
                latencies = timed_posts(client, token, proofs[20:], timed, scored, answered)
            cpu_after = cpu_reference()
        with app.app_context():
            facts = check_scored(app, [new_id(p, run, k) if run else p["id"] for k, p in enumerate(proofs[20:])])
            if args.sample == "newest":
                give_back([p["id"] for p in proofs])
        print(f"\nmachine: {machine()}; CPU reference loop {cpu_before:.1f} ms before the run, {cpu_after:.1f} after "
              "(scripts/bench/common.py)")
        print(f"online ({args.sample}, scored {'by a worker' if via_worker else 'in-process'}): PostgreSQL with "
              f"{stored} stored proofs before the run, model {version}; {facts}")
        if via_worker:
            report(latencies, "POST /api/v1/proofs until the worker scored it")
            report(answered, "  POST answered (stored, job queued)")
        else:
            report(latencies, "POST /api/v1/proofs (store + score in-process)")
        print(f"  garbage collector of this process during the run: {collector.summary()}; "
              f"{len(gc.get_objects())} tracked objects, {gc.get_freeze_count()} frozen")
        for label, values in split.items():
            report(values, "  " + label)
    finally:
        if not args.keep_db:
            drop_postgres(PG_NAME)
