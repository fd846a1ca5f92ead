"""Message catalogues, one per area: extract, update, compile, check.

usage: python scripts/i18n.py extract | compile | check

- extract: read every marked string (`_()`, `_l()`, `ngettext()`, `stated()` in Python; `_()` in templates) of
  each area (`app/<area>/**.py` and `app/templates/<area>/**.html`; the platform catalogue also takes
  `app/*.py` and `app/templates/*.html`) into `app/<area>/translations/messages.pot`, and merge it into
  that area's `zh_CN/LC_MESSAGES/messages.po` (new strings arrive untranslated, vanished ones are dropped).
- compile: write the `.mo` files the app reads (`make demo` and `make test` run it).
- check: exit 1 naming every string of a zh_CN catalogue that has no translation or is fuzzy.
"""
from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
AREAS = ("platform", "auth", "intake", "scoring", "review", "money", "compliance", "rules", "admin")
LOCALES = ("zh_CN",)
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "stated": None}
PYTHON = [("**.py", "python")]
TEMPLATES = [("**.html", "jinja2")]
JINJA = {"**.html": {"extensions": "jinja2.ext.do", "newstyle_gettext": "true"}}


def sources(area: str) -> list[tuple[Path, list, dict]]:
    """(folder, method map, options) pairs that make up one area's catalogue."""
    found = [(APP / area, PYTHON, {})]
    if (APP / "templates" / area).is_dir():
        found.append((APP / "templates" / area, TEMPLATES, JINJA))
    if area == "scoring":  # why a model could not be trained (ml/ marks them with `stated`)
        found.append((ROOT / "ml", PYTHON, {}))
    if area == "rules":  # why the rule editor refused a value (review_rules/ marks them with `stated`)
        found.append((ROOT / "review_rules", PYTHON, {}))
    if area == "platform":  # the app's own modules and the shared templates (base, errors)
        found.append((APP, [("*.py", "python")], {}))
        found.append((APP / "templates", [("*.html", "jinja2")], JINJA))
    return found


def extract(area: str) -> Catalog:
    template = Catalog(project="workbench", charset="utf-8", creation_date=datetime(2026, 1, 1, tzinfo=UTC))
    for folder, method_map, options in sources(area):
        for filename, lineno, message, comments, context in extract_from_dir(
                str(folder), method_map, options, KEYWORDS, strip_comment_tags=True):
            location = (str((folder / filename).relative_to(ROOT)), lineno)
            template.add(message, None, [location], auto_comments=comments, context=context)
    if area == "rules":
        for message, comment in signal_texts():
            template.add(message, None, [("review_rules/signals", 0)], auto_comments=[comment])
    if area == "review":  # the signals' reasons, shown on the proof and queue pages (review_rules.reasons)
        for filename, lineno, message, comments, context in extract_from_dir(
                str(ROOT / "review_rules"), PYTHON, {}, {"said": None}, strip_comment_tags=True):
            template.add(message, None, [(f"review_rules/{filename}", lineno)],
                         auto_comments=["a signal's reason; keep every %(name)s placeholder", *comments],
                         flags=("python-format",), context=context)
    return template


def signal_texts() -> list[tuple[str, str]]:
    """(text, where) of every signal's title, description and parameter help: declared in the pure
    review_rules package (no Flask there), shown translated on the operators' catalogue and editor."""
    sys.path.insert(0, str(ROOT))
    from review_rules.registry import all_signals

    out = []
    for spec in all_signals():
        out += [(spec.title, f"signal {spec.code}: title"), (spec.description, f"signal {spec.code}: description")]
        out += [(param.help, f"signal {spec.code}: parameter {param.name}") for param in spec.params]
    return out


def po_path(area: str, locale: str) -> Path:
    return APP / area / "translations" / locale / "LC_MESSAGES" / "messages.po"


def update(area: str) -> tuple[int, int]:
    """Write the area's template and merge it into each locale; (messages, untranslated in zh_CN)."""
    template = extract(area)
    if not len(template):
        return 0, 0
    folder = APP / area / "translations"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "messages.pot").open("wb") as handle:
        write_po(handle, template, omit_header=False, sort_output=True, width=120, include_lineno=False)
    missing = 0
    for locale in LOCALES:
        path = po_path(area, locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="workbench", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as handle:
            write_po(handle, catalog, sort_output=True, width=120, ignore_obsolete=True, include_lineno=False)
        missing += len(untranslated(catalog))
    return len(template), missing


def untranslated(catalog: Catalog) -> list[str]:
    out = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def catalogues() -> list[tuple[str, str, Path]]:
    return [(area, locale, po_path(area, locale)) for area in AREAS for locale in LOCALES
            if po_path(area, locale).exists()]


def compile_all() -> int:
    for _area, _locale, path in catalogues():
        with path.open("rb") as handle:
            catalog = read_po(handle)
        with path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
    return len(catalogues())


def check() -> list[str]:
    problems = []
    for _area, locale, path in catalogues():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        problems += [f"{path.relative_to(ROOT)}: untranslated: {msgid!r}" for msgid in untranslated(catalog)]
    return problems


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "extract":
        for area in AREAS:
            total, missing = update(area)
            if total:
                print(f"{area}: {total} messages, {missing} without a zh_CN translation")
        return 0
    if command == "compile":
        print(f"compiled {compile_all()} catalogues")
        return 0
    if command == "check":
        problems = check()
        for line in problems:
            print(line)
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
