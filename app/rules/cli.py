"""`flask rules list | show | draft | publish | rollback | backtest`: the operators' workbench for scripts."""
from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from app.platform.commands import domain_errors
from app.platform.i18n import _, stored_text
from app.platform.warmup import run_warm_ups
from app.rules.jobs import after_activation, enqueue_shadow_catch_up, kept_evaluation
from app.rules.services import backtest as backtests
from app.rules.services import shadow, try_proof, versions
from app.scoring.jobs import enqueue_scoring
from app.scoring.services import relief
from models import StaffUser, db, utcnow
from review_rules.relief import ENTITY_KINDS

rules_cli = AppGroup("rules", help="Rule-set versions: list, show, draft, publish, roll back, backtest.")


def _staff(email: str | None) -> StaffUser | None:
    if email is None:
        return None
    user = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(_("no staff account %(email)s", email=email))
    return user


def _resolve(version: str):  # noqa: ANN202 - RuleSet
    return versions.resolve(version)


@rules_cli.command("list")
@domain_errors
def list_command() -> None:
    """Every version, newest first: status, author, note."""
    rows = versions.history()
    db.session.commit()  # the default rule set, if this was the first look
    for entry in rows:
        row = entry["row"]
        click.echo(f"{row.version:>4}  {row.status:<8} {row.created_at:%Y-%m-%d %H:%M}  "
                   f"{entry['author'] or '-':<28} {stored_text(row.note)}")


@rules_cli.command("show")
@click.argument("version")
@domain_errors
def show_command(version: str) -> None:
    """The complete config of VERSION (a number, active or draft) as JSON, and its changes against active."""
    row = _resolve(version)
    click.echo(_("version %(version)s (%(status)s)", version=row.version, status=row.status))
    click.echo(json.dumps(versions.checked(row), indent=2, ensure_ascii=False, sort_keys=True))
    if row.status != "active":
        changes = versions.diff_against_active(row)
        click.echo(_("%(n)d change(s) against the active version:", n=len(changes)))
        for change in changes:
            click.echo(f"  {change.path}: {change.before} -> {change.after}")
    db.session.commit()


@rules_cli.command("draft")
@click.option("--from", "source", default="active", show_default=True, help="Version to start from.")
@click.option("--set", "settings", multiple=True, required=True, metavar="SIGNAL.PARAM=VALUE",
              help="A change, e.g. ip.shared_address.min_accounts=5, thresholds.hold_at_or_above=0.8.")
@click.option("--by", "author", default=None, metavar="EMAIL",
              help="The operator who authors the draft (without it the draft can be tried, backtested and "
                   "shadowed but never published: no approval could be shown to be a second operator's).")
@click.option("--note", default="", help="Why.")
@domain_errors
def draft_command(source: str, settings: tuple[str, ...], author: str | None, note: str) -> None:
    """Make a new draft version from another one with some settings changed."""
    row = _resolve(source)
    parsed = dict(versions.parse_setting(text) for text in settings)
    draft = versions.create_draft(row, parsed, _staff(author), note)
    db.session.commit()
    click.echo(_("draft version %(draft)s from version %(source)s:", draft=draft.version, source=row.version))
    for change in versions.diff(versions.checked(row), versions.checked(draft)):
        click.echo(f"  {change.path}: {change.before} -> {change.after}")


@rules_cli.command("publish")
@click.argument("version")
@click.option("--by", "approver", required=True, metavar="EMAIL",
              help="The approving operator (never the draft's author).")
@domain_errors
def publish_command(version: str, approver: str) -> None:
    """Make a draft the active rule set with a second operator's approval; stale scores are rescored."""
    row = _resolve(version)
    changes = versions.diff_against_active(row)  # what the approval made live, said before the message
    versions.publish(row, _staff(approver))
    db.session.commit()
    for change in changes:
        click.echo(f"  {change.path}: {change.before} -> {change.after}")
    task = after_activation(row.version)
    click.echo(_("version %(version)s is active (approved by %(approver)s); %(message)s", version=row.version,
                 approver=approver, message=stored_text(task.message)))


@rules_cli.command("rollback")
@click.argument("version")
@click.option("--by", "actor", default=None, metavar="EMAIL", help="The operator who rolls back.")
@domain_errors
def rollback_command(version: str, actor: str | None) -> None:
    """Make an earlier published VERSION active again; stale scores are rescored."""
    row = _resolve(version)
    versions.rollback(row, _staff(actor))
    db.session.commit()
    task = after_activation(row.version, rolled_back=True)
    click.echo(_("version %(version)s is active again; %(message)s", version=row.version,
                 message=stored_text(task.message)))


def _date(text: str | None, default: datetime) -> datetime:
    if text is None:
        return default
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(_("%(value)s is not a date (YYYY-MM-DD or ISO 8601)", value=repr(text))) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@rules_cli.command("backtest")
@click.argument("version")
@click.option("--since", required=True, help="First day of the period (YYYY-MM-DD, UTC unless an offset is given).")
@click.option("--until", default=None, help="End of the period, exclusive (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON.")
@click.option("--chunk-hours", default=backtests.CHUNK_HOURS, show_default=True, type=click.FloatRange(0, 24 * 30),
              help="Point-in-time step: each chunk sees only earlier proofs; 0 = one pass over the period, "
                   "as batch scoring does (faster; proofs see later evidence).")
@click.option("--by", "actor", default=None, metavar="EMAIL")
@domain_errors
def backtest_command(version: str, since: str, until: str | None, as_json: bool, chunk_hours: float,
                     actor: str | None) -> None:
    """Evaluate VERSION over the labelled proofs of a period, here and now, and keep the result."""
    row = _resolve(version)
    start, end = _date(since, utcnow()), _date(until, utcnow() + timedelta(seconds=1))
    test = backtests.start(row, start, end, _staff(actor))
    db.session.commit()
    with click.progressbar(length=100, label=_("backtest"), file=sys.stderr) as bar:
        seen = [0]

        def progress(percent: int, stage: str) -> None:
            bar.update(max(0, percent - seen[0]))
            seen[0] = max(seen[0], percent)

        results = kept_evaluation(test.id, lambda: backtests.run_backtest(row, start, end, progress=progress,
                                                                          chunk_hours=chunk_hours))
    click.echo(json.dumps(results, indent=2, ensure_ascii=False) if as_json else _summary(test.id, results))


def _summary(test_id: int, r: dict) -> str:
    pct = lambda v: "-" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    days = len(r["by_day"]) or 1
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in r["timings"].items())
    lines = [_("backtest %(test)s: version %(version)s vs active %(active)s over %(proofs)s labelled proofs "
               "(%(rejected)s rejected) from %(since)s to %(until)s", test=test_id, version=r["version"],
               active=r["active"]["version"], proofs=r["proofs"], rejected=r["rejected"], since=r["since"],
               until=r["until"]),
             _("precision %(precision)s  recall %(recall)s   (active: %(active_precision)s, %(active_recall)s)",
               precision=pct(r["precision"]), recall=pct(r["recall"]),
               active_precision=pct(r["active"]["precision"]), active_recall=pct(r["active"]["recall"])),
             _("flagged volume %(flagged)s (held %(held)s); review load %(load)s per day over %(days)s day(s); "
               "active flagged %(active_flagged)s", flagged=r["flagged"], held=r["held"],
               load=format(r['flagged'] / days, ".1f"), days=days, active_flagged=r["active"]["flagged"]),
             _("money held %(held)s; in review %(review)s", held=format(r['money_held_cents'] / 100, ".2f"),
               review=format(r['money_in_review_cents'] / 100, ".2f")),
             _("routes changed vs active: %(n)s", n=r.get("changes", {}).get("count", 0)),
             _("time: %(timings)s", timings=timings)]
    return "\n".join(lines)


@rules_cli.command("try")
@click.argument("proof_id")
@click.option("--version", "version", default="draft", show_default=True)
@click.option("--repeat", default=1, show_default=True, type=click.IntRange(1, 1000),
              help="Run it this many times and print the timings (the first one pays for cold caches).")
@click.option("--warm", is_flag=True, help="First warm up as a web worker does at start (timed apart).")
@domain_errors
def try_command(proof_id: str, version: str, repeat: int, warm: bool) -> None:
    """One proof scored by the active version and VERSION side by side; writes nothing."""
    import time

    if warm:
        started = time.perf_counter()
        said = "; ".join(run_warm_ups("web_warm_ups"))
        click.echo(_("warmed up in %(ms)s ms: %(what)s", ms=format(1000 * (time.perf_counter() - started), ".0f"),
                     what=said))
    timings = []
    for _run in range(repeat):
        started = time.perf_counter()
        result = try_proof.compare(proof_id, version)
        timings.append(1000 * (time.perf_counter() - started))
        db.session.rollback()
    for side in ("active", "other"):
        r = result[side]
        click.echo(f"v{r['version']:<4} {r['route']:<13} risk {r['risk']:.3f}  rules {r['rule_score']:.3f}  "
                   f"{', '.join(sorted(r['signals'])) or '-'}")
    ordered = sorted(timings)
    click.echo(_("took %(first)s ms first, median %(median)s ms, max %(max)s ms over %(n)d run(s)",
                 first=format(timings[0], ".0f"), median=format(ordered[len(ordered) // 2], ".0f"),
                 max=format(ordered[-1], ".0f"), n=repeat))


shadow_cli = AppGroup("shadow", help="Run a draft beside the active rule set without touching routes or money.")
rules_cli.add_command(shadow_cli)


@shadow_cli.command("start")
@click.argument("version")
@click.option("--by", "actor", default=None, metavar="EMAIL")
@domain_errors
def shadow_start_command(version: str, actor: str | None) -> None:
    """Put the draft VERSION in shadow (a version already there goes back to being a draft)."""
    row = _resolve(version)
    shadow.start(row, _staff(actor))
    db.session.commit()
    click.echo(_("version %(version)s runs in shadow from now on", version=row.version))


@shadow_cli.command("stop")
@click.option("--by", "actor", default=None, metavar="EMAIL")
@domain_errors
def shadow_stop_command(actor: str | None) -> None:
    """Take the shadow version back to being a draft (its shadow scores are kept)."""
    row = _resolve("shadow")
    shadow.stop(row, _staff(actor))
    db.session.commit()
    click.echo(_("version %(version)s no longer runs in shadow", version=row.version))


@shadow_cli.command("run")
@domain_errors
def shadow_run_command() -> None:
    """Shadow-score every proof scored since the shadow started (queued when Redis is configured)."""
    row = _resolve("shadow")
    waiting = len(shadow.pending_ids(row))
    job_id = enqueue_shadow_catch_up()
    db.session.commit()
    click.echo(_("%(n)d proofs to shadow-score with version %(version)s", n=waiting, version=row.version)
               + (_(" (job %(job)s)", job=job_id) if job_id else ""))


@shadow_cli.command("report")
@domain_errors
def shadow_report_command() -> None:
    """How often and where the shadow version disagrees with the active one."""
    r = shadow.comparison(_resolve("shadow"))
    click.echo(_("version %(version)s: %(scored)s proofs shadow-scored, %(pending)s pending", version=r["version"],
                 scored=r["scored"], pending=r["pending"]))
    if r["scored"]:
        click.echo(_("agreement %(agree)s%% (%(disagree)s disagree); mean risk change %(change)s",
                     agree=format(100 * r["agree"], ".1f"), disagree=r["disagree"],
                     change=format(r["mean_risk_change"], "+.3f")))
        for cell in r["matrix"]:
            click.echo(f"  active {cell['active']:<12} shadow {cell['shadow']:<12} {cell['count']}")


relief_cli = AppGroup("relief", help="Entity-level relief: mute a signal for a worker, address, device or campaign.")


@relief_cli.command("list")
@click.option("--state", type=click.Choice(["active", "expired", "lifted", "all"]), default="active", show_default=True)
@click.option("--kind", type=click.Choice(list(ENTITY_KINDS)), default=None)
@click.option("--signal", "signal_code", default=None, help="a signal code, or * for allowlists")
@domain_errors
def relief_list_command(state: str, kind: str | None, signal_code: str | None) -> None:
    """Mutes and allowlists, newest first: id, state, signal, entity, until, reason."""
    now = utcnow()
    for m in relief.list_mutes(relief.MuteFilters(state=state, entity_kind=kind, signal_code=signal_code), now):
        entity = m.entity_value if m.entity_kind in ("worker", "campaign") else m.entity_value[:12]
        source = f" (proof {m.source_proof_id})" if m.source_proof_id else ""
        click.echo(f"{m.id:>5}  {m.state(now):<8} {m.signal_code:<28} {m.entity_kind}:{entity}{source}  "
                   f"{(m.lifted_at or m.expires_at):%Y-%m-%d %H:%M}  {m.reason}")


@relief_cli.command("mute")
@click.argument("signal_code", metavar="SIGNAL")
@click.argument("kind", type=click.Choice(list(ENTITY_KINDS)))
@click.argument("entity")
@click.option("--hours", type=click.IntRange(1, relief.MAX_HOURS), default=None)
@click.option("--days", type=click.IntRange(1, relief.MAX_HOURS // 24), default=None)
@click.option("--reason", required=True)
@click.option("--by", "actor", default=None, metavar="EMAIL")
@domain_errors
def relief_mute_command(signal_code: str, kind: str, entity: str, hours: int | None, days: int | None, reason: str,
                        actor: str | None) -> None:
    """Mute SIGNAL (* allowlists: every linkage signal) for KIND ENTITY: a worker or campaign id, or for an
    address or device the id of a proof that used it. Lasts --hours or --days (default 7 days)."""
    value, source = relief.resolve_entity(kind, entity)
    total = hours if hours is not None else 24 * (days if days is not None else 7)
    mute = relief.create_mute(signal_code=signal_code, entity_kind=kind, entity_value=value, source_proof_id=source,
                              hours=total, reason=reason, actor=_staff(actor))
    ids = relief.undecided_proof_ids(mute, current_app.config["SETTLEMENT_HOLD_HOURS"])
    db.session.commit()
    enqueue_scoring(ids)
    until = mute.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    click.echo(_("relief #%(id)s in force until %(until)s; %(n)d waiting proof(s) sent for rescoring", id=mute.id,
                 until=until, n=len(ids)))


@relief_cli.command("lift")
@click.argument("mute_id", type=int)
@click.option("--reason", required=True)
@click.option("--by", "actor", default=None, metavar="EMAIL")
@domain_errors
def relief_lift_command(mute_id: int, reason: str, actor: str | None) -> None:
    """End relief MUTE_ID before it expires."""
    mute = relief.lift_mute(mute_id, actor=_staff(actor), reason=reason)
    ids = relief.undecided_proof_ids(mute, current_app.config["SETTLEMENT_HOLD_HOURS"])
    db.session.commit()
    enqueue_scoring(ids)
    click.echo(_("relief #%(id)s lifted; %(n)d waiting proof(s) sent for rescoring", id=mute.id, n=len(ids)))


def register(app: Flask) -> None:
    # web workers (wsgi.py) warm the try page before the first operator asks for it
    app.extensions.setdefault("web_warm_ups", []).append(try_proof.warm_try)
    app.cli.add_command(rules_cli)
    app.cli.add_command(relief_cli)
