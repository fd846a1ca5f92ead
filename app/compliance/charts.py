"""The brand file's weekly trend as inline SVG drawn on the server (no JavaScript, no chart library)."""
from __future__ import annotations

from markupsafe import Markup, escape

from app.compliance.services.scorecard import Week
from app.platform.i18n import _

RING, REJECTED, BARS = "#d92d20", "#f79009", "#d0d5dd"


def trend_chart(weeks: list[Week], width: int = 560, height: int = 160) -> Markup:
    """Proofs per week as grey bars; rejected share and top-ring share as lines over them (0-100%)."""
    label = _("Proofs per week, share rejected and share made by the top ring")
    if not weeks:
        return Markup("")
    axis_h, top, left = 18, 10, 34
    plot_w, plot_h = width - left, height - axis_h - top
    step = plot_w / len(weeks)
    peak = max(w.proofs for w in weeks) or 1
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" class="baseline"/>']
    for tick in (0, 50, 100):
        y = top + plot_h * (1 - tick / 100)
        body.append(f'<text x="0" y="{y + 4:.1f}" class="axis">{tick}%</text>')
    for i, week in enumerate(weeks):
        h = plot_h * week.proofs / peak
        x = left + i * step
        body.append(f'<rect x="{x + 2:.1f}" y="{top + plot_h - h:.1f}" width="{max(step - 4, 1):.1f}" '
                    f'height="{h:.1f}" fill="{BARS}"><title>{escape(week.start)}: {week.proofs}</title></rect>')
        if len(weeks) <= 12 or i % max(len(weeks) // 6, 1) == 0:
            body.append(f'<text x="{x + step / 2:.1f}" y="{height - 4}" class="axis" text-anchor="middle">'
                        f'{escape(week.start[5:])}</text>')
    for attr, colour, name in (("rejected_share", REJECTED, _("rejected")), ("ring_share", RING, _("top ring"))):
        points = " ".join(f"{left + (i + 0.5) * step:.1f},{top + plot_h * (1 - getattr(w, attr)):.1f}"
                          for i, w in enumerate(weeks))
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2">'
                    f'<title>{escape(name)}</title></polyline>')
        for i, w in enumerate(weeks):
            body.append(f'<circle cx="{left + (i + 0.5) * step:.1f}" cy="{top + plot_h * (1 - getattr(w, attr)):.1f}" '
                        f'r="3" fill="{colour}"><title>{escape(w.start)} · {escape(name)}: '
                        f'{100 * getattr(w, attr):.0f}%</title></circle>')
    return Markup(f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
                  f'aria-label="{escape(label)}"><title>{escape(label)}</title>{"".join(body)}</svg>')
