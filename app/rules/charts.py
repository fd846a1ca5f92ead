"""Inline SVG charts for the operators' pages, drawn on the server (no JavaScript, no chart library)."""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from app.platform.i18n import _
from app.platform.vocabulary import route_label

ROUTE_COLOURS = {"auto_approve": "#12b76a", "review": "#f79009", "hold": "#d92d20"}
SERIES_COLOURS = ("#2e90fa", "#d92d20", "#7a5af8", "#12b76a")


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>{"".join(body)}</svg>')


def stacked_days(days: list[dict], keys: Sequence[str], label: str, width: int = 520, height: int = 140) -> Markup:
    """One stacked bar per day (e.g. the route mix), coloured per key."""
    top, axis_h = 8, 16
    plot_h = height - top - axis_h
    peak = max([sum(d.get(k, 0) for k in keys) for d in days] + [1])
    bar_w = width / max(len(days), 1)
    body: list[str] = []
    for i, day in enumerate(days):
        y = float(top + plot_h)
        for key in keys:
            n = day.get(key, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            body.append(f'<rect x="{i * bar_w + 1:.1f}" y="{y:.1f}" width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" '
                        f'fill="{ROUTE_COLOURS.get(key, "#98a2b3")}"><title>{escape(day["day"])} · '
                        f'{escape(route_label(key))}: {n}</title></rect>')
    body += _day_ticks(days, bar_w, height)
    body.append(f'<line x1="0" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" class="baseline"/>')
    return _svg(width, height, label, body)


def lines_by_day(days: list[str], series: dict[str, list[float | None]], label: str, width: int = 520,
                 height: int = 140, as_share: bool = False) -> Markup:
    """One polyline per series over the same days (e.g. flagged volume, active vs draft)."""
    top, axis_h, left = 10, 16, 4
    plot_h, plot_w = height - top - axis_h, width - 2 * left
    values = [v for points in series.values() for v in points if v is not None]
    peak = 1.0 if as_share else max(values + [1])
    step = plot_w / max(len(days) - 1, 1)
    body: list[str] = []
    for k, (name, points) in enumerate(series.items()):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        coords = [f"{left + i * step:.1f},{top + plot_h - plot_h * v / peak:.1f}"
                  for i, v in enumerate(points) if v is not None]
        if coords:
            body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(coords)}">'
                        f'<title>{escape(name)}</title></polyline>')
        body.append(f'<text x="{width - 4}" y="{top + 12 * (k + 1)}" class="axis" text-anchor="end" '
                    f'fill="{colour}">{escape(name)}</text>')
    body.append(f'<text x="{left}" y="{top + 8}" class="axis">{"100%" if as_share else int(peak)}</text>')
    body += _day_ticks([{"day": d} for d in days], plot_w / max(len(days), 1), height)
    body.append(f'<line x1="0" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" class="baseline"/>')
    return _svg(width, height, label, body)


def _day_ticks(days: list[dict], bar_w: float, height: int) -> list[str]:
    if not days:
        return []
    ticks = {0, len(days) - 1, len(days) // 2}
    return [f'<text x="{min(i * bar_w, 9999):.1f}" y="{height - 3}" class="axis">{escape(days[i]["day"][5:])}</text>'
            for i in sorted(ticks)]


def pr_curve(points: list[dict], operating: tuple[float | None, float | None], label: str,
             size: int = 260) -> Markup:
    """Precision (up) against recall (across), the operating point marked."""
    recall_label, precision_label = _("recall"), _("precision")
    pad = 28
    plot = size - 2 * pad
    coords = [f"{pad + plot * p['recall']:.1f},{pad + plot * (1 - p['precision']):.1f}"
              for p in sorted(points, key=lambda p: p["recall"])]
    body = [f'<rect x="{pad}" y="{pad}" width="{plot}" height="{plot}" fill="none" class="baseline" stroke="#d0d5dd"/>',
            f'<text x="{pad}" y="{size - 8}" class="axis">0</text>',
            f'<text x="{size - pad}" y="{size - 8}" class="axis" text-anchor="end">{escape(recall_label)} 1</text>',
            f'<text x="2" y="{pad + 4}" class="axis">1</text>',
            f'<text x="2" y="{pad - 10}" class="axis">{escape(precision_label)}</text>']
    if coords:
        body.append(f'<polyline fill="none" stroke="#2e90fa" stroke-width="2" points="{" ".join(coords)}"/>')
    recall, precision = operating
    if recall is not None and precision is not None:
        x, y = pad + plot * recall, pad + plot * (1 - precision)
        title = _("operating point: precision %(p)s, recall %(r)s", p=format(precision, ".3f"), r=format(recall, ".3f"))
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#d92d20" class="operating-point">'
                    f'<title>{escape(title)}</title></circle>')
    return _svg(size, size, label, body)


def bars(items: list[dict], name_key: str, value_key: str, label: str, width: int = 420,
         as_share: bool = False) -> Markup:
    """Horizontal bars with their value (e.g. signals by firings)."""
    rows = [(str(item[name_key]), float(item[value_key] or 0)) for item in items]
    label_w, bar_h, gap, value_w = 190, 14, 6, 56
    peak = 1.0 if as_share else max([v for _, v in rows] + [1])
    body: list[str] = []
    for i, (name, value) in enumerate(rows):
        y = i * (bar_h + gap) + 4
        w = (width - label_w - value_w) * value / peak
        shown = f"{100 * value:.0f}%" if as_share else f"{value:g}"
        body.append(f'<text x="0" y="{y + 11}" class="axis">{escape(name)}</text>'
                    f'<rect x="{label_w}" y="{y}" width="{max(w, 1):.1f}" height="{bar_h}" fill="#2e90fa"/>'
                    f'<text x="{label_w + w + 4:.1f}" y="{y + 11}" class="value">{shown}</text>')
    return _svg(width, max(len(rows) * (bar_h + gap) + 8, 24), label, body)


def calibration(points: list[dict], label: str, size: int = 220) -> Markup:
    """Observed fraud share (up) against predicted P(fraud) (across) per decile; the diagonal is perfect."""
    predicted_label, observed_label = _("predicted"), _("observed")
    pad = 24
    plot = size - 2 * pad
    body = [f'<rect x="{pad}" y="{pad}" width="{plot}" height="{plot}" fill="none" stroke="#d0d5dd"/>',
            f'<line x1="{pad}" y1="{pad + plot}" x2="{pad + plot}" y2="{pad}" stroke="#98a2b3" '
            'stroke-dasharray="4 3"/>',
            f'<text x="{pad}" y="{size - 6}" class="axis">0</text>',
            f'<text x="{size - pad}" y="{size - 6}" class="axis" text-anchor="end">{escape(predicted_label)} 1</text>',
            f'<text x="2" y="{pad - 8}" class="axis">{escape(observed_label)}</text>']
    for p in points:
        x, y = pad + plot * p["predicted"], pad + plot * (1 - p["observed"])
        title = _("predicted %(p)s, observed %(o)s, %(n)s proofs", p=p["predicted"], o=p["observed"], n=p["count"])
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{3 + min(p["count"], 400) ** 0.5 / 4:.1f}" '
                    f'fill="#2e90fa" fill-opacity="0.7" class="calibration-point">'
                    f'<title>{escape(title)}</title></circle>')
    return _svg(size, size, label, body)


def distributions(before: list[float], after: list[float], label: str, width: int = 180, height: int = 40) -> Markup:
    """Two distributions over the same bins, side by side per bin: the training window (grey) and the
    recent days (blue); the last bin is the share of missing values."""
    bins = max(len(before), len(after), 1)
    slot = width / bins
    peak = max([*before, *after, 0.01])
    body: list[str] = []
    for k in range(bins):
        for offset, values, colour, css in ((0.1, before, "#98a2b3", "train"), (0.5, after, "#2e90fa", "recent")):
            share = values[k] if k < len(values) else 0.0
            h = (height - 2) * share / peak
            body.append(f'<rect x="{k * slot + offset * slot:.1f}" y="{height - h:.1f}" width="{0.4 * slot:.1f}" '
                        f'height="{max(h, 0.5):.1f}" fill="{colour}" class="share {css}">'
                        f'<title>{100 * share:.1f}%</title></rect>')
    return _svg(width, height, label, body)
