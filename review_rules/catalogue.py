"""The signal catalogue as Markdown, generated from the registry (docs/rules.md embeds it).

Run `python -m review_rules.catalogue` to print it after adding or changing a signal.
"""
from __future__ import annotations

from review_rules.params import Param
from review_rules.registry import FAMILIES, all_signals

FAMILY_TITLES = {"ip": "IP", "device": "Device", "timing": "Timing", "content": "Content", "account": "Account",
                 "graph": "Graph"}


def _param(param: Param) -> str:
    info = param.describe()
    bounds = f" [{info['minimum']}–{info['maximum']}]" if "minimum" in info else ""
    choices = f" of {', '.join(info['choices'])}" if "choices" in info else ""
    unit = f" {info['unit']}" if info["unit"] else ""
    return f"`{param.name}` = {info['default']}{unit}{bounds}{choices}: {info['help']}"


def catalogue_markdown() -> str:
    """One table per family: code, default weight, what it means, parameters."""
    lines: list[str] = []
    for family in FAMILIES:
        lines += [f"### {FAMILY_TITLES[family]}", "", "| code | weight | what it means | parameters |",
                  "| --- | --- | --- | --- |"]
        for spec in (s for s in all_signals() if s.family == family):
            params = "<br>".join(_param(p) for p in spec.params) or "—"
            lines.append(f"| `{spec.code}` | {spec.weight:g} | **{spec.title}.** {spec.description} | {params} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(catalogue_markdown())
