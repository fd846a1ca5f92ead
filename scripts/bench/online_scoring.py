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

Two samples (--sample):
- copies (default, the sample of every earlier figure): random stored proofs resubmitted under
  new ids at their original moments. Each copy has history on both sides of it, and its own
  original as a twin at the same instant on the same account, device and address.
- newest: the world's newest proofs, taken out of the store and POSTed back in time order, as
  they would arrive online: each finds the whole history before it and nothing after. The end of
  the simulated month is busy, so these contexts are no smaller.
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import json
import random
import re
import statistics
import time
from datetime import datetime
from pathlib import Path

import joblib

from scripts.bench.common import PG_ADMIN_URL, cpu_reference, drop_postgres, flask, machine, scratch_postgres

PG_NAME = "wb_bench_online"


def pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def sample_proofs(world: Path, count: int, seed: int = 3) -> list[dict]:
    """`count` stored proofs picked at random, to resubmit under new ids."""
    with (world / "proofs.jsonl").open(encoding="utf-8") as handle:
        lines = handle.readlines()
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


def bench_app(url: str, workdir: Path):  # noqa: ANN201 - Flask app
    from app import create_app
    from config import DevelopmentConfig

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url
        INSTANCE_DIR = workdir / "online-instance"
        MODEL_DIR = workdir / "online-models"
        REDIS_URL = None

    return create_app(BenchConfig)


def install_model(app, bundle_path: Path) -> str:  # noqa: ANN001
    from app.services.models_registry import promote, register_candidate
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


def timed_posts(client, token: str, proofs: list[dict], run: str | None) -> list[float]:  # noqa: ANN001
    """POST each proof, timed; under a new id (and a new screenshot) for a run of copies, as it is
    when `run` is None."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies = []
    for k, proof in enumerate(proofs):
        body = {**proof, "id": new_id(proof, run, k)} if run else proof
        if run and "screenshot_sha256" in proof:  # a new screenshot: a resubmitted file would be a hard hold
            digest = hashlib.sha256(body["id"].encode()).hexdigest()
            body.update(screenshot_sha256=digest, screenshot_phash=digest[:16])
        started = time.perf_counter()
        response = client.post("/api/v1/proofs", json=body, headers=headers)
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


PARTS = (("app.services.intake", "ingest_proofs", "intake (validate + store)"),
         ("app.services.scoring", "build_context", "history lookups (scoring_context)"),
         ("app.services.scoring", "evaluate", "rules engine"),
         ("app.services.scoring", "active_model_outcome", "model (load check + predict)"),
         ("app.services.scoring", "explanations", "explanations"),
         ("app.services.scoring", "store_scores", "store score"),
         ("app.services.scoring", "route_proofs", "route (queue / policy approval)"))


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

    from app.services.bulk import vacuum_after_bulk_load
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


def check_scored(app, ids: list[str]) -> dict:  # noqa: ANN001
    import sqlalchemy as sa

    from models import ProofScore, db

    rows = db.session.execute(sa.select(ProofScore.route, ProofScore.model_version, ProofScore.degraded)
                              .where(ProofScore.proof_id.in_(ids))).all()
    return {"scored": len(rows), "with_model": sum(1 for r in rows if r.model_version),
            "degraded": sum(1 for r in rows if r.degraded),
            "routes": {route: sum(1 for r in rows if r.route == route) for route in {r.route for r in rows}}}


def online(args: argparse.Namespace) -> None:
    from scripts.bench.scoring_speed import model_for

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
        app = bench_app(url, args.workdir)
        with app.app_context():
            from app.services.api_tokens import create_token
            from models import db

            if args.reuse_db:
                print(f"removed {forget_earlier_runs()} proofs POSTed by earlier runs", flush=True)
            version = install_model(app, world / "bench-model.joblib")
            _, token = create_token("online-bench")
            db.session.commit()
            client = app.test_client()
            if args.sample == "newest":
                proofs, run = newest_proofs(world, args.requests + 20), None
                print(f"took {take_out([p['id'] for p in proofs])} newest proofs out of the store to POST them",
                      flush=True)
                warm, timed = None, None
            else:
                proofs = sample_proofs(world, args.requests + 20)
                run = f"o{int(time.time()) % 1_000_000}"  # fresh ids on every run, also with --reuse-db
                warm, timed = run + "w", run
        # Each request in its own app context, as under a real server: the session ends with the
        # request (a rollback there would drop the connection's prepared statements).
        timed_posts(client, token, proofs[:20], warm)  # warm-up: caches, connections, model load
        split: dict[str, list[float]] = {}
        instrument(split)
        cpu_before = cpu_reference()
        with CollectorClock() as collector:
            latencies = timed_posts(client, token, proofs[20:], timed)
        cpu_after = cpu_reference()
        with app.app_context():
            facts = check_scored(app, [new_id(p, run, k) if run else p["id"] for k, p in enumerate(proofs[20:])])
        stored = args.proofs - (len(proofs) if args.sample == "newest" else 0)
        print(f"\nmachine: {machine()}; CPU reference loop {cpu_before:.1f} ms before the run, {cpu_after:.1f} after "
              "(scripts/bench/common.py)")
        print(f"online ({args.sample}): PostgreSQL with {stored} stored proofs before the run, model {version}; "
              f"{facts}")
        report(latencies, "POST /api/v1/proofs (store + score in-process)")
        print(f"  garbage collector during the run: {collector.summary()}; "
              f"{len(gc.get_objects())} tracked objects, {gc.get_freeze_count()} frozen")
        for label, values in split.items():
            report(values, "  " + label)
    finally:
        if not args.keep_db:
            drop_postgres(PG_NAME)
