"""Small inline SVG charts rendered on the server (no JavaScript, no chart library)."""
from __future__ import annotations

from markupsafe import Markup, escape

from app.platform.i18n import _, _l
from app.platform.vocabulary import queue_label

# Risk bands share the colours of the risk bars in the table: low < 0.4 <= medium < 0.7 <= high.
BANDS = ((_l("high risk"), range(7, 10), "#d92d20"), (_l("medium risk"), range(4, 7), "#f79009"),
         (_l("low risk"), range(0, 4), "#12b76a"))


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>{"".join(body)}</svg>')


def queue_risk_chart(deciles: dict[str, list[int]], width: int = 360) -> Markup:
    """One stacked bar per queue: its pending items split into high, medium and low risk."""
    label_w, bar_h, gap, count_w = 84, 16, 8, 52  # room for a translated queue name ("自动通过 · 质检")
    peak = max([sum(bins) for bins in deciles.values()] + [1])
    scale = (width - label_w - count_w) / peak
    body: list[str] = []
    for row, (queue, bins) in enumerate(deciles.items()):
        y = row * (bar_h + gap) + 4
        name = queue_label(queue)
        body.append(f'<text x="0" y="{y + 12}" class="axis">{escape(name)}</text>')
        x = float(label_w)
        for band, indexes, colour in BANDS:
            n = sum(bins[i] for i in indexes)
            if not n:
                continue
            w = max(n * scale, 1.5)
            tip = _("%(queue)s · %(band)s: %(n)d", queue=name, band=band, n=n)
            body.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}">'
                        f'<title>{escape(tip)}</title></rect>')
            x += w
        body.append(f'<text x="{x + 6:.1f}" y="{y + 12}" class="value">{sum(bins)}</text>')
    height = len(deciles) * (bar_h + gap) + 4
    return _svg(width, max(height, 24), _("Pending items per queue, split by risk"), body)


def risk_histogram_chart(bins: list[int], width: int = 360, height: int = 110) -> Markup:
    """Bars per risk decile, coloured from low (green) to high (red) risk."""
    axis_h, top = 16, 14
    peak = max(bins + [1])
    bar_w = width / len(bins)
    plot_h = height - axis_h - top
    body: list[str] = []
    for i, n in enumerate(bins):
        h = plot_h * n / peak
        x = i * bar_w
        lo, hi = i / len(bins), (i + 1) / len(bins)
        colour = _risk_colour(lo)
        tip = _("risk %(low)s–%(high)s: %(n)d", low=format(lo, ".1f"), high=format(hi, ".1f"), n=n)
        body.append(f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                    f'fill="{colour}"><title>{escape(tip)}</title></rect>')
        if n:
            body.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - h - 3:.1f}" class="value" '
                        f'text-anchor="middle">{n}</text>')
    for tick in (0.0, 0.5, 1.0):
        anchor = {0.0: "start", 0.5: "middle", 1.0: "end"}[tick]
        body.append(f'<text x="{tick * width:.1f}" y="{height - 3}" class="axis" text-anchor="{anchor}">'
                    f'{tick:.1f}</text>')
    body.append(f'<line x1="0" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" class="baseline"/>')
    return _svg(width, height, _("Items in this view per risk decile"), body)


def _risk_colour(risk: float) -> str:
    """Green through amber to red; the same scale as the risk bars in the table."""
    if risk < 0.4:
        return "#12b76a"
    if risk < 0.7:
        return "#f79009"
    return "#d92d20"


TRAIT_COLOURS = {"device": "#7a5af8", "hardware": "#2e90fa", "address": "#f79009", "screenshot": "#d92d20",
                 "comment": "#12b76a", "lockstep": "#667085"}
GRAPH_ACCOUNTS = 60  # drawn; the table lists them all


def cluster_graph(cluster, size: int = 420) -> Markup:  # noqa: ANN001 - app.review.services.cluster.Cluster
    """Accounts on an outer ring (the seed account first, at the top), the traits that link them on an
    inner ring near their accounts, and a line from each trait to every account that shares it."""
    import math

    accounts = sorted(cluster.accounts.values(), key=lambda a: (a.depth, -(a.pending + a.rejected), a.worker_id))
    drawn = {a.worker_id: i for i, a in enumerate(accounts[:GRAPH_ACCOUNTS])}
    centre, outer, inner = size / 2, size / 2 - 34, size / 2 - 110

    def at(index: int, count: int, radius: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / max(count, 1)
        return centre + radius * math.cos(angle), centre + radius * math.sin(angle)

    spots = {w: at(i, len(drawn), outer) for w, i in drawn.items()}
    traits = [t for t in cluster.traits if any(w in drawn for w in t.workers)]
    traits.sort(key=lambda t: sum(drawn[w] for w in t.workers if w in drawn) / max(1, len(t.workers & drawn.keys())))
    body: list[str] = []
    for i, trait in enumerate(traits):
        tx, ty = at(i, len(traits), inner) if len(traits) > 1 else (centre, centre)
        colour = TRAIT_COLOURS.get(trait.kind, "#667085")
        for worker in sorted(trait.workers & drawn.keys()):
            x, y = spots[worker]
            body.append(f'<line x1="{tx:.1f}" y1="{ty:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="{colour}" '
                        f'stroke-opacity="0.55"/>')
        tip = _("%(trait)s: %(n)d accounts", trait=trait.label, n=len(trait.workers))
        body.append(f'<rect class="trait" x="{tx - 6:.1f}" y="{ty - 6:.1f}" width="12" height="12" fill="{colour}">'
                    f'<title>{escape(tip)}</title></rect>')
    for account in accounts[:GRAPH_ACCOUNTS]:
        x, y = spots[account.worker_id]
        seed = account.worker_id == cluster.seed_worker
        fill = "#d92d20" if account.rejected else ("#f79009" if account.pending else "#12b76a")
        tip = _("%(worker)s: %(pending)d pending, %(rejected)d rejected, %(approved)d approved",
                worker=account.worker_id, pending=account.pending, rejected=account.rejected,
                approved=account.approved)
        body.append(f'<circle class="account{" seed" if seed else ""}" cx="{x:.1f}" cy="{y:.1f}" '
                    f'r="{11 if seed else 8}" fill="{fill}" stroke="#101828" stroke-width="{2.5 if seed else 1}">'
                    f'<title>{escape(tip)}</title></circle>')
        body.append(f'<text x="{x:.1f}" y="{y + (22 if y >= centre else -14):.1f}" class="axis" '
                    f'text-anchor="middle">{escape(account.worker_id)}</text>')
    return _svg(size, size, _("Cluster of %(worker)s: %(n)d accounts, %(k)d linking traits",
                              worker=cluster.seed_worker, n=len(cluster.accounts), k=len(cluster.traits)), body)


def hourly_chart(counts: list[int], width: int = 480, height: int = 120) -> Markup:
    """Human decisions per hour over the last len(counts) hours, oldest on the left."""
    axis_h, top = 16, 14
    peak = max(counts + [1])
    bar_w = width / max(len(counts), 1)
    plot_h = height - axis_h - top
    body: list[str] = []
    for i, n in enumerate(counts):
        h = plot_h * n / peak
        tip = _("%(h)d h ago: %(n)d", h=len(counts) - i, n=n)
        body.append(f'<rect x="{i * bar_w + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
                    f'height="{h:.1f}" fill="#2e90fa"><title>{escape(tip)}</title></rect>')
    first, now = "-" + _("%(h)d h", h=len(counts)), _("now")  # outside the f-strings: extraction reads no f-string
    body.append(f'<text x="0" y="{height - 3}" class="axis">{escape(first)}</text>')
    body.append(f'<text x="{width}" y="{height - 3}" class="axis" text-anchor="end">{escape(now)}</text>')
    body.append(f'<line x1="0" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" class="baseline"/>')
    return _svg(width, height, _("Decisions per hour"), body)


QUEUE_COLOURS = {"hold": "#d92d20", "senior": "#7a5af8", "review": "#f79009", "auto": "#12b76a"}


def depth_chart(depth: dict[str, list[int]], first_label: str, width: int = 480, height: int = 150) -> Markup:
    """One line per queue: pending items at the end of each bucket, oldest on the left."""
    axis_h, top, right = 16, 10, 84  # room for the translated queue names at the lines' ends
    points = max((len(v) for v in depth.values()), default=0)
    peak = max([max(v, default=0) for v in depth.values()] + [1])
    plot_w, plot_h = width - right, height - axis_h - top
    step = plot_w / max(points - 1, 1)
    body: list[str] = []
    for queue, series in depth.items():
        colour, name = QUEUE_COLOURS.get(queue, "#667085"), queue_label(queue)
        coords = " ".join(f"{i * step:.1f},{top + plot_h - plot_h * n / peak:.1f}" for i, n in enumerate(series))
        tip = _("%(queue)s: %(now)d now, peak %(peak)d", queue=name, now=series[-1] if series else 0,
                peak=max(series, default=0))
        body.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2">'
                    f'<title>{escape(tip)}</title></polyline>')
        if series:
            body.append(f'<text x="{plot_w + 4:.1f}" y="{top + plot_h - plot_h * series[-1] / peak + 4:.1f}" '
                        f'class="axis" fill="{colour}">{escape(name)}</text>')
    body.append(f'<text x="0" y="{height - 3}" class="axis">{escape(first_label)}</text>')
    now = _("now")
    body.append(f'<text x="{plot_w}" y="{height - 3}" class="axis" text-anchor="end">{escape(now)}</text>')
    body.append(f'<text x="{plot_w}" y="{top + 8}" class="axis" text-anchor="end">{peak}</text>')
    body.append(f'<line x1="0" y1="{top + plot_h}" x2="{plot_w}" y2="{top + plot_h}" class="baseline"/>')
    return _svg(width, height, _("Pending items per queue over time"), body)


def bucket_bars(counts: list[int], first_label: str, label: str, colour: str = "#d92d20",
                width: int = 480, height: int = 100) -> Markup:
    """Bars per time bucket (oldest on the left), e.g. decisions made after their due time."""
    axis_h, top = 16, 14
    peak = max(counts + [1])
    bar_w = width / max(len(counts), 1)
    plot_h = height - axis_h - top
    body: list[str] = []
    for i, n in enumerate(counts):
        h = plot_h * n / peak
        body.append(f'<rect x="{i * bar_w + 1:.1f}" y="{top + plot_h - h:.1f}" width="{max(bar_w - 2, 1):.1f}" '
                    f'height="{h:.1f}" fill="{colour}"><title>{n}</title></rect>')
    body.append(f'<text x="0" y="{height - 3}" class="axis">{escape(first_label)}</text>')
    now = _("now")
    body.append(f'<text x="{width}" y="{height - 3}" class="axis" text-anchor="end">{escape(now)}</text>')
    body.append(f'<line x1="0" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" class="baseline"/>')
    return _svg(width, height, label, body)


AGREEMENT_COLOURS = {"qa": "#2e90fa", "appeals": "#7a5af8"}


def agreement_chart(moderators: list, labels: dict[str, str], width: int = 480) -> Markup:  # noqa: ANN001
    """Per moderator, two bars from 0 to 100 %: agreement with QA re-checks and with appeals
    (ModeratorStats rows; `labels`: the words for "qa", "appeals" and "none", translated by the
    caller). A moderator with nothing re-checked or appealed gets no bar for it, not a zero."""
    name_w, bar_h, gap, value_w = 120, 9, 10, 44
    plot_w = width - name_w - value_w
    body: list[str] = []
    for row, m in enumerate(moderators):
        y = row * (2 * bar_h + gap) + 4
        body.append(f'<text x="0" y="{y + bar_h + 4}" class="axis">{escape(m.name[:18])}</text>')
        bars = (("qa", m.qa_agreement, m.qa_agreed, m.qa_checked),
                ("appeals", m.appeal_agreement, m.stood, m.appealed))
        for offset, (kind, share, agreed, of) in enumerate(bars):
            top = y + offset * bar_h
            tip = f"{m.name} · {labels[kind]}: "
            if share is None:
                body.append(f'<text x="{name_w}" y="{top + bar_h - 1}" class="axis">—<title>{escape(tip)}'
                            f'{escape(labels["none"])}</title></text>')
                continue
            body.append(f'<rect x="{name_w}" y="{top}" width="{max(plot_w * share, 1.5):.1f}" height="{bar_h - 1}" '
                        f'fill="{AGREEMENT_COLOURS[kind]}" class="agreement-{kind}"><title>{escape(tip)}'
                        f'{share:.0%} ({agreed} / {of})</title></rect>')
            body.append(f'<text x="{name_w + plot_w + 4}" y="{top + bar_h - 1}" class="value">{share:.0%}</text>')
    height = len(moderators) * (2 * bar_h + gap) + 4
    return _svg(width, max(height, 24), f'{labels["qa"]} · {labels["appeals"]}', body)
