"""The rows of the cluster page's proof table, written in one pass.

A 500-account ring lists some 1,200 proofs; through the template each row cost a dozen filter and
escape calls, more than building the cluster. Every value is still escaped here."""
from __future__ import annotations

from markupsafe import Markup, escape

from app.platform.vocabulary import queue_label, state_label
from app.review.services.cluster import ClusterProof


def proof_rows(proofs: list[ClusterProof], seed_proof: str, proof_href: str, worker_href: str,
               url_id: dict[str, str], money_of: dict[int, str], waiting_label: str) -> Markup:
    """`proof_href` / `worker_href` hold `__ID__` where the (URL-quoted) id goes."""
    waiting = escape(waiting_label)
    out: list[str] = []
    labels: dict[tuple[str, str | None], str] = {}  # a few queues and states, translated once per call

    def label(kind: str, value: str | None) -> str:
        if (kind, value) not in labels:
            labels[kind, value] = escape(queue_label(value) if kind == "queue" else state_label(value))
        return labels[kind, value]

    for p in proofs:
        pid, worker = escape(p.proof_id), escape(p.worker_id)
        tick = (f'<input type="checkbox" name="proof_id" value="{pid}" class="tick" aria-label="{pid}">'
                if p.pending else "")
        risk = f"{p.risk:.2f}" if p.risk is not None else "—"
        if p.pending:
            outcome = (f'<span class="pill route-{escape(p.queue or "review")}">{waiting} · '
                       f'{label("queue", p.queue)}</span>')
        else:
            outcome = f'<span class="pill dec-{escape(p.state)}">{label("state", p.state)}</span>'
            if p.reason_code:
                outcome += f' <span class="mono muted">{escape(p.reason_code)}</span>'
        out.append(
            f'<tr class="{"seed" if p.proof_id == seed_proof else ""}"><td>{tick}</td>'
            f'<td class="mono"><a href="{escape(proof_href.replace("__ID__", url_id[p.proof_id]))}">{pid}</a></td>'
            f'<td class="mono"><a href="{escape(worker_href.replace("__ID__", url_id[p.worker_id]))}">{worker}</a>'
            f'</td><td>{escape(p.campaign_id)}</td><td class="num mono">{risk}</td><td>{outcome}</td>'
            f'<td class="num">{escape(money_of[p.reward_cents])}</td></tr>')
    return Markup("\n".join(out))
