"""The world directory honours DESIGN.md's exchange format and the options it was made with."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from scripts.simulate import PATTERNS, SimulationOptions, generate_world

from .conftest import SMALL, read

ROOT = Path(__file__).resolve().parents[2]
FILES = ("brands", "rooms", "sessions", "campaigns", "workers", "proofs", "decisions", "labels")
STR, INT, NUM, BOOL, TIME = str, int, (int, float), bool, "time"
# file -> {key: (type, required)}
SCHEMA = {
    "brands": {"id": (STR, True), "name": (STR, True), "kyc_status": (STR, False), "license_no": (STR, False),
               "contact_email": (STR, False), "created_at": (TIME, False)},
    "rooms": {"id": (STR, True), "platform": (STR, True), "name": (STR, True), "category": (STR, False)},
    "sessions": {"id": (STR, True), "room_id": (STR, True), "starts_at": (TIME, True), "ends_at": (TIME, True)},
    "campaigns": {"id": (STR, True), "brand_id": (STR, True), "room_id": (STR, True), "action": (STR, True),
                  "reward_cents": (INT, True), "budget_cents": (INT, True), "commission_rate": (NUM, False),
                  "max_completions": (INT, False), "min_watch_seconds": (INT, False), "brief": (STR, False),
                  "starts_at": (TIME, False), "ends_at": (TIME, False)},
    "workers": {"id": (STR, True), "created_at": (TIME, True), "region": (STR, False), "timezone": (STR, False),
                "language": (STR, False), "phone": (STR, False)},
    "proofs": {"id": (STR, True), "campaign_id": (STR, True), "worker_id": (STR, True),
               "accepted_at": (TIME, True), "submitted_at": (TIME, True), "ip": (STR, True),
               "user_agent": (STR, False), "started_at": (TIME, False), "watch_seconds": (INT, False),
               "comment_text": (STR, False), "screenshot_sha256": (STR, False), "screenshot_phash": (STR, False),
               "device": (dict, False)},
    "decisions": {"proof_id": (STR, True), "decision": (STR, True), "reason": (STR, False),
                  "decided_at": (TIME, False)},
    "labels": {"proof_id": (STR, True), "is_fraud": (BOOL, True), "pattern": (STR, True), "kind": (STR, True)},
}
DEVICE = {"fingerprint": STR, "platform": STR, "os": STR, "screen": STR, "timezone": STR, "language": STR,
          "webdriver": BOOL, "emulator": BOOL, "touch_points": INT, "hardware_concurrency": INT,
          "canvas_hash": STR, "webgl_renderer": STR}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _check(value, kind) -> bool:
    if kind == TIME:
        return isinstance(value, str) and bool(ISO.match(value)) and t(value).utcoffset() == timedelta(hours=8)
    if kind in (INT, BOOL) or kind == NUM:
        return isinstance(value, kind) and (kind is BOOL or not isinstance(value, bool))
    return isinstance(value, kind)


@pytest.fixture(scope="module")
def data(small_world):
    directory, report = small_world
    return {name: read(directory, name) for name in FILES} | {"report": report}


def test_every_line_has_the_contract_keys_with_the_right_types(data):
    for name, spec in SCHEMA.items():
        for n, row in enumerate(data[name], 1):
            for key, (kind, required) in spec.items():
                if key in row:
                    assert _check(row[key], kind), f"{name}.jsonl:{n} {key}={row[key]!r}"
                else:
                    assert not required, f"{name}.jsonl:{n} lacks {key}"
    for p in data["proofs"]:
        for key, value in p.get("device", {}).items():
            assert key in DEVICE and _check(value, DEVICE[key]), (p["id"], key, value)
        if "screenshot_sha256" in p:
            assert re.fullmatch(r"[0-9a-f]{64}", p["screenshot_sha256"])
            assert re.fullmatch(r"[0-9a-f]{16}", p["screenshot_phash"])


def test_enumerations_and_money(data):
    assert {b["kyc_status"] for b in data["brands"]} <= {"pending", "verified", "rejected", "suspended"}
    assert {c["action"] for c in data["campaigns"]} <= {"like", "comment", "watch", "follow", "share"}
    assert {d["decision"] for d in data["decisions"]} == {"approved", "rejected"}
    for c in data["campaigns"]:
        assert 0 < c["reward_cents"] and 0 <= c["commission_rate"] <= 1
        assert c["budget_cents"] >= c["reward_cents"] * c["max_completions"]
        assert ("min_watch_seconds" in c) == (c["action"] == "watch")


def test_files_are_utf8_json_lines_with_readable_chinese(small_world):
    directory, _ = small_world
    text = (directory / "campaigns.jsonl").read_text(encoding="utf-8")
    assert "\\u" not in text and re.search(r"[\u4e00-\u9fff]", text)


def test_counts_honour_the_options(data):
    report = data["report"]
    assert len(data["workers"]) == SMALL.workers
    assert len(data["campaigns"]) == SMALL.campaigns
    assert len(data["proofs"]) == len(data["labels"]) == SMALL.proofs
    assert report["files"] == {f"{name}.jsonl": len(data[name]) for name in FILES}
    assert len({p["id"] for p in data["proofs"]}) == SMALL.proofs
    assert len({w["id"] for w in data["workers"]}) == SMALL.workers


def test_references_resolve(data):
    ids = {name: {x["id"] for x in data[name]} for name in ("brands", "rooms", "campaigns", "workers", "proofs")}
    assert all(s["room_id"] in ids["rooms"] for s in data["sessions"])
    assert all(c["brand_id"] in ids["brands"] and c["room_id"] in ids["rooms"] for c in data["campaigns"])
    assert all(p["campaign_id"] in ids["campaigns"] and p["worker_id"] in ids["workers"] for p in data["proofs"])
    assert all(d["proof_id"] in ids["proofs"] for d in data["decisions"])


def test_fraud_rate_and_every_pattern_with_its_variations(data):
    labels = data["labels"]
    fraud = sum(x["is_fraud"] for x in labels)
    assert fraud == round(SMALL.proofs * SMALL.fraud_rate)
    assert {x["pattern"] for x in labels} == {"honest", *PATTERNS}
    kinds = defaultdict(set)
    for x in labels:
        kinds[x["pattern"]].add(x["kind"])
        assert x["is_fraud"] == (x["pattern"] != "honest")
        assert (x["ring"] is None) == (x["pattern"] == "honest")
    assert all(len(kinds[p]) >= 2 for p in PATTERNS), kinds
    assert {"honest_cgnat", "honest_vpn", "honest_new_account", "honest_family"} <= kinds["honest"]


def test_time_is_physically_possible(data):
    campaigns = {c["id"]: c for c in data["campaigns"]}
    created = {w["id"]: t(w["created_at"]) for w in data["workers"]}
    label = {x["proof_id"]: x for x in data["labels"]}
    for p in data["proofs"]:
        acc, sub = t(p["accepted_at"]), t(p["submitted_at"])
        c = campaigns[p["campaign_id"]]
        assert created[p["worker_id"]] < acc <= sub, p["id"]
        assert t(c["starts_at"]) <= acc and sub <= t(c["ends_at"]), p["id"]
        if "started_at" in p:
            assert acc <= t(p["started_at"]) <= sub
        if label[p["id"]]["pattern"] == "honest" and "watch_seconds" in p:
            assert p["watch_seconds"] <= (sub - acc).total_seconds()
            assert p["watch_seconds"] >= c["min_watch_seconds"]


def test_action_specific_fields(data):
    action = {c["id"]: c["action"] for c in data["campaigns"]}
    for p in data["proofs"]:
        assert ("comment_text" in p) == (action[p["campaign_id"]] == "comment")
        assert ("watch_seconds" in p) == (action[p["campaign_id"]] == "watch")


def test_decisions_label_the_oldest_share_with_some_noise(data):
    start = SMALL.start
    cutoff = start + timedelta(days=SMALL.days * SMALL.labelled_share)
    proofs = {p["id"]: p for p in data["proofs"]}
    label = {x["proof_id"]: x for x in data["labels"]}
    decided = {d["proof_id"]: d for d in data["decisions"]}
    old = [p for p in data["proofs"] if t(p["submitted_at"]) < cutoff]
    assert len(decided) == len(old) and all(t(proofs[i]["submitted_at"]) < cutoff for i in decided)
    wrong = sum((d["decision"] == "rejected") != label[i]["is_fraud"] for i, d in decided.items())
    assert wrong == round(len(decided) * SMALL.label_noise)
    assert all(t(d["decided_at"]) > t(proofs[i]["submitted_at"]) for i, d in decided.items())


def test_honest_workers_share_carrier_addresses_within_minutes(data):
    """CGNAT: strangers on one mobile address, each with their own phone."""
    label = {x["proof_id"]: x for x in data["labels"]}
    groups = defaultdict(list)
    for p in data["proofs"]:
        if label[p["id"]]["pattern"] == "honest":
            groups[(p["ip"], t(p["accepted_at"]).timestamp() // 600)].append(p)
    shared = [g for g in groups.values() if len({p["worker_id"] for p in g}) >= 3]
    assert len(shared) >= 10
    for g in shared:
        fingerprints = {p["device"]["fingerprint"] for p in g if "device" in p}
        assert len(fingerprints) >= len({p["worker_id"] for p in g if "device" in p}) - 1


def test_device_farm_accounts_share_hardware(data):
    """A phone wall rotates visitor ids per account, but every account shows the same phone."""
    label = {x["proof_id"]: x for x in data["labels"]}
    rings = defaultdict(lambda: (set(), set(), set()))
    for p in data["proofs"]:
        if label[p["id"]]["kind"] == "device_farm_phone_wall" and "device" in p:
            d = p["device"]
            hardware, workers, fingerprints = rings[label[p["id"]]["ring"]]
            hardware.add((d["canvas_hash"], d["webgl_renderer"], d["screen"], d["hardware_concurrency"]))
            workers.add(p["worker_id"])
            fingerprints.add(d["fingerprint"])
    assert rings
    for hardware, workers, fingerprints in rings.values():
        assert len(hardware) == 1 and len(workers) >= 2 and len(fingerprints) == len(workers)


def test_screenshot_reuse_repeats_or_nearly_repeats(data):
    label = {x["proof_id"]: x for x in data["labels"]}
    reused = [p for p in data["proofs"] if label[p["id"]]["pattern"] == "screenshot_reuse"]
    by_sha = Counter(p["screenshot_sha256"] for p in reused)
    assert max(by_sha.values()) >= 3
    honest = Counter(p.get("screenshot_sha256") for p in data["proofs"] if label[p["id"]]["pattern"] == "honest")
    del honest[None]
    assert max(honest.values()) == 1
    near = [p for p in reused if label[p["id"]]["kind"] == "screenshot_near"]
    hashes = [int(p["screenshot_phash"], 16) for p in near]
    distances = [bin(a ^ b).count("1") for i, a in enumerate(hashes) for b in hashes[i + 1:]]
    assert any(1 <= d <= 4 for d in distances)


def test_lockstep_ring_moves_together(data):
    label = {x["proof_id"]: x for x in data["labels"]}
    together = Counter()
    bursts = defaultdict(set)
    for p in data["proofs"]:
        if label[p["id"]]["pattern"] == "lockstep":
            bursts[(label[p["id"]]["ring"], p["campaign_id"], t(p["accepted_at"]).timestamp() // 900)].add(
                p["worker_id"])
    for members in bursts.values():
        ordered = sorted(members)
        together.update((a, b) for i, a in enumerate(ordered) for b in ordered[i + 1:])
    assert together.most_common(1)[0][1] >= 5


def test_colluding_brand_is_served_mostly_by_its_ring(data):
    label = {x["proof_id"]: x for x in data["labels"]}
    brand = {c["id"]: c["brand_id"] for c in data["campaigns"]}
    ring_brands = {brand[p["campaign_id"]] for p in data["proofs"] if label[p["id"]]["pattern"] == "brand_collusion"}
    assert ring_brands
    for b in ring_brands:
        mine = [label[p["id"]]["pattern"] for p in data["proofs"] if brand[p["campaign_id"]] == b]
        assert mine.count("brand_collusion") / len(mine) >= 0.6


def test_some_briefs_ask_for_deceptive_engagement(data):
    deceptive = [c for c in data["campaigns"] if re.search("刷好评|假装|不要提及|刷单", c.get("brief", ""))]
    assert 1 <= len(deceptive) < len(data["campaigns"])


def test_honest_user_agents_do_not_look_like_crawlers(data):
    crawlerdetect = pytest.importorskip("crawlerdetect")
    detector = crawlerdetect.CrawlerDetect()
    label = {x["proof_id"]: x for x in data["labels"]}
    honest = {p["user_agent"] for p in data["proofs"] if "user_agent" in p and label[p["id"]]["pattern"] == "honest"}
    assert not [ua for ua in honest if detector.isCrawler(ua)]


def test_reproducible_and_seed_sensitive(tmp_path):
    small = SimulationOptions(seed=3, workers=120, campaigns=5, proofs=600, days=7)
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_world(a, small)
    generate_world(b, small)
    generate_world(c, SimulationOptions(**{**small.__dict__, "seed": 4}))
    for name in FILES:
        assert (a / f"{name}.jsonl").read_bytes() == (b / f"{name}.jsonl").read_bytes(), name
    assert (a / "proofs.jsonl").read_bytes() != (c / "proofs.jsonl").read_bytes()


def test_holdout_pattern_gets_no_decisions(tmp_path):
    options = SimulationOptions(seed=5, workers=200, campaigns=8, proofs=1500, holdout_pattern="lockstep")
    generate_world(tmp_path, options)
    held = {x["proof_id"] for x in read(tmp_path, "labels") if x["pattern"] == "lockstep"}
    decided = {d["proof_id"] for d in read(tmp_path, "decisions")}
    assert held and not held & decided
    assert decided


def test_pattern_selection_and_a_clean_world(tmp_path):
    generate_world(tmp_path / "bots", SimulationOptions(workers=100, campaigns=4, proofs=500,
                                                        patterns=("scripted_bot",), fraud_rate=0.1))
    assert {x["pattern"] for x in read(tmp_path / "bots", "labels")} == {"honest", "scripted_bot"}
    report = generate_world(tmp_path / "clean", SimulationOptions(workers=100, campaigns=4, proofs=500,
                                                                  fraud_rate=0.0))
    assert report["patterns"] == {"honest": 500}
    assert {d["decision"] for d in read(tmp_path / "clean", "decisions")} <= {"approved", "rejected"}


def test_progress_is_reported_until_done(tmp_path):
    calls = []
    generate_world(tmp_path, SimulationOptions(workers=100, campaigns=4, proofs=400),
                   progress=lambda done, total: calls.append((done, total)))
    assert calls[0][0] == 0 and calls[-1][0] == calls[-1][1]
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_bots_show_timing_and_client_tells(data):
    crawlerdetect = pytest.importorskip("crawlerdetect")
    detector = crawlerdetect.CrawlerDetect()
    label = {x["proof_id"]: x for x in data["labels"]}
    bots = [p for p in data["proofs"] if label[p["id"]]["pattern"] == "scripted_bot"]
    too_fast = [p for p in bots if p.get("watch_seconds", 0) >
                (t(p["submitted_at"]) - t(p["accepted_at"])).total_seconds()]
    assert too_fast
    headless = [p for p in bots if label[p["id"]]["kind"] == "bot_headless"]
    assert any(detector.isCrawler(p["user_agent"]) or p.get("device", {}).get("webdriver") for p in headless)
    spoofed = [p for p in bots if label[p["id"]]["kind"] == "bot_spoofed_ua"]
    assert all(not detector.isCrawler(p["user_agent"]) for p in spoofed)


def test_importer_files_carry_no_labels(data):
    """Only labels.jsonl says what is fraud: no extra keys, no pattern names elsewhere."""
    for name in ("proofs", "workers", "campaigns", "decisions"):
        for row in data[name]:
            assert set(row) <= set(SCHEMA[name]), (name, set(row) - set(SCHEMA[name]))
    assert not any(p in str(data["proofs"]) for p in PATTERNS)


def test_bytes_do_not_depend_on_the_hash_seed(tmp_path):
    """Python randomises str hashes per process; the world must not notice."""
    digests = set()
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-m", "scripts.simulate", str(out), "--proofs", "400", "--workers", "100",
                        "--campaigns", "4"], check=True, capture_output=True, env=env, cwd=ROOT)
        digests.add(tuple(hashlib.sha256((out / f"{n}.jsonl").read_bytes()).hexdigest() for n in FILES))
    assert len(digests) == 1
