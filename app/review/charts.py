"""Small inline SVG charts rendered on the server (no JavaScript, no chart library)."""
from __future__ import annotations

from markupsafe import Markup, escape

# Risk bands share the colours of the risk bars in the table: low < 0.4 <= medium < 0.7 <= high.
BANDS = (("high", range(7, 10), "#d92d20"), ("medium", range(4, 7), "#f79009"), ("low", range(0, 4), "#12b76a"))


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>{"".join(body)}</svg>')


def queue_risk_chart(deciles: dict[str, list[int]], width: int = 360) -> Markup:
    """One stacked bar per queue: its pending items split into high, medium and low risk."""
    label_w, bar_h, gap, count_w = 56, 16, 8, 52
    peak = max([sum(bins) for bins in deciles.values()] + [1])
    scale = (width - label_w - count_w) / peak
    body: list[str] = []
    for row, (queue, bins) in enumerate(deciles.items()):
        y = row * (bar_h + gap) + 4
        body.append(f'<text x="0" y="{y + 12}" class="axis">{escape(queue)}</text>')
        x = float(label_w)
        for band, indexes, colour in BANDS:
            n = sum(bins[i] for i in indexes)
            if not n:
                continue
            w = max(n * scale, 1.5)
            body.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}">'
                        f'<title>{escape(queue)} · {band} risk: {n}</title></rect>')
            x += w
        body.append(f'<text x="{x + 6:.1f}" y="{y + 12}" class="value">{sum(bins)}</text>')
    height = len(deciles) * (bar_h + gap) + 4
    return _svg(width, max(height, 24), "Pending items per queue, split by risk", body)


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
        body.append(f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                    f'fill="{colour}"><title>risk {lo:.1f}–{hi:.1f}: {n}</title></rect>')
        if n:
            body.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - h - 3:.1f}" class="value" '
                        f'text-anchor="middle">{n}</text>')
    for tick in (0.0, 0.5, 1.0):
        anchor = {0.0: "start", 0.5: "middle", 1.0: "end"}[tick]
        body.append(f'<text x="{tick * width:.1f}" y="{height - 3}" class="axis" text-anchor="{anchor}">'
                    f'{tick:.1f}</text>')
    body.append(f'<line x1="0" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" class="baseline"/>')
    return _svg(width, height, "Items in this view per risk decile", body)


def _risk_colour(risk: float) -> str:
    """Green through amber to red; the same scale as the risk bars in the table."""
    if risk < 0.4:
        return "#12b76a"
    if risk < 0.7:
        return "#f79009"
    return "#d92d20"
