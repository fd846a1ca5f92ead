"""Writing a world directory: JSON Lines per DESIGN.md, UTF-8, buffered, byte-reproducible."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from .batch import NONE, ProofBatch
from .context import World
from .ipspace import format_ips

CHUNK = 50_000
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    """Write one JSON object per line; return the number of lines."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        buf: list[str] = []
        for row in rows:
            buf.append(_encode(row))
            n += 1
            if len(buf) >= CHUNK:
                fh.write("\n".join(buf) + "\n")
                buf.clear()
        if buf:
            fh.write("\n".join(buf) + "\n")
    return n


def write_proofs(path: Path, world: World, batch: ProofBatch, ids: list[str], worker_ids: list[str],
                 progress: Callable[[int], None]) -> int:
    """Write proofs.jsonl chunk by chunk; each device object is encoded once and spliced in."""
    n = len(batch)
    device_json = [_encode(d) for d in world.devices]
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for lo in range(0, n, CHUNK):
            fh.write(_proof_lines(world, batch, slice(lo, min(n, lo + CHUNK)), ids, worker_ids, device_json))
            progress(min(n, lo + CHUNK))
    progress(n)
    return n


def _proof_lines(world: World, batch: ProofBatch, part: slice, ids: list[str], worker_ids: list[str],
                 device_json: list[str]) -> str:
    campaign_ids = [c["id"] for c in world.campaigns]
    accepted_s = batch.accepted[part]
    delay = batch.start_delay[part]
    has_start = delay != NONE
    accepted = world.iso(accepted_s)
    started = world.iso(np.where(has_start, accepted_s + delay, accepted_s))
    submitted = world.iso(batch.submitted[part])
    ips = format_ips(batch.ip[part])
    phash = [f"{x:016x}" for x in batch.phash[part].tolist()]
    cols = (ids[part], batch.campaign[part].tolist(), batch.worker[part].tolist(), has_start.tolist(),
            batch.ua[part].tolist(), batch.watch[part].tolist(), batch.comment[part], batch.sha[part],
            batch.device[part].tolist())
    uas = world.user_agents
    lines = []
    for i, (pid, c, w, st, ua, watch, comment, sha, dev) in enumerate(zip(*cols, strict=True)):
        row = {"id": pid, "campaign_id": campaign_ids[c], "worker_id": worker_ids[w], "accepted_at": accepted[i]}
        if st:
            row["started_at"] = started[i]
        row["submitted_at"] = submitted[i]
        row["ip"] = ips[i]
        if ua != NONE:
            row["user_agent"] = uas[ua]
        if watch != NONE:
            row["watch_seconds"] = watch
        if comment is not None:
            row["comment_text"] = comment
        if sha is not None:
            row["screenshot_sha256"] = sha
            row["screenshot_phash"] = phash[i]
        line = _encode(row)
        lines.append(line if dev == NONE else line[:-1] + ',"device":' + device_json[dev] + "}")
    return "\n".join(lines) + "\n"
