"""Reasons a page can show in the reader's language.

A signal explains a fired row in English (stored with the score, read by the API and logs), made
by `said(template, **values)` from a gettext-style template (`%(name)s`, `%(n).1f`). The text is all
that is stored: writing it costs a scoring run no more than an f-string would. To show a stored
reason in another language, `translate` finds the template it was made from (every call to `said`
in review_rules/, read from the source the way scripts/i18n.py extracts them for the catalogue),
reads the values back out of the text, and fills the translated template with them; a value that is
itself a phrase made by `said` (an optional clause, a word) is translated too. Text no template
matches (stored before templates existed, or by a signal since changed) is shown as stored.
`Phrasebook` does this for any marker and folder (the app's stored task messages, made by
app.platform.i18n.stated, use it too). This package stays free of Flask: the caller passes its gettext.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

NOTHING = ""  # an optional phrase that is not there
# The placeholders whose value may be a phrase made by `said` (translated with the sentence); every
# other value is data (a comment, a name, a list of accounts) and is shown as it was, whatever it says.
PHRASE_SLOTS = frozenset({"approved", "carrier", "public", "kind", "what", "action", "platform", "ip", "zone",
                          "network", "country"})
SEPARATOR = "; "  # between the findings of one signal that lists several
_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdf]")


def novelty_reason() -> str:
    """The model's note (not a rule signal) on a proof whose signals it never saw in training."""
    return said("this combination of signals was (almost) never seen in the labelled history, so the model cannot "
                "judge it: the rules' reading stands")


def said(template: str, **values: Any) -> str:
    """The reason `template % values` (values: numbers, identifiers, data, or other `said` phrases)."""
    return template % values if values else template


def stated(template: str, **values: Any) -> str:
    """`said` for text stored outside the rules' reasons, for people to read later in either language
    (a task's progress or outcome, a version's note, why a model could not be trained): English
    `template % values`; app.platform.i18n.stored_text shows it in the reader's language."""
    return template % values if values else template


class Phrasebook:
    """The templates passed to `keyword(...)` in the Python files under `root`, and `translate`: a text
    made from one of them, read back and filled into its translation. `phrase_slots`: placeholders whose
    value may itself be a text made by one of these templates (translated along, a whole sentence
    too); every other value is data and shown as it was."""

    def __init__(self, roots: tuple[Path, ...], keyword: str, phrase_slots: frozenset[str]):
        self.roots, self.keyword, self.phrase_slots = roots, keyword, phrase_slots

    @cached_property
    def templates(self) -> tuple[str, ...]:
        """Every template, the most specific first: those ending in literal text before those ending in a
        placeholder (which would take in the rest of a longer message made around its own), then the
        most literal text first."""
        from babel.messages.extract import extract_from_dir

        found = {message for root in self.roots for _file, _line, message, _comments, _context in extract_from_dir(
            str(root), [("**.py", "python")], {}, {self.keyword: None}) if isinstance(message, str)}
        return tuple(sorted(found, key=lambda t: (_ends_in_placeholder(t), -len(_PLACEHOLDER.sub("", t)), t)))

    @cached_property
    def _matchers(self) -> tuple[tuple[str, re.Pattern], ...]:
        out = []
        for template in self.templates:
            if "%(" not in template:
                continue
            pattern, at = [], 0
            for match in _PLACEHOLDER.finditer(template):
                pattern.append(re.escape(template[at:match.start()].replace("%%", "%")))
                name = match.group(1)
                # a phrase is tried whole before any shorter text: " (a public address: own …)" holds ": "
                phrases = "".join(f"{re.escape(p)}|" for p in self._phrases_longest_first) \
                    if name in self.phrase_slots else ""
                pattern.append(f"(?P<{name}>{phrases}.*?)")
                at = match.end()
            pattern.append(re.escape(template[at:].replace("%%", "%")))
            out.append((template, re.compile("".join(pattern), re.DOTALL)))
        return tuple(out)

    @cached_property
    def _phrases(self) -> frozenset[str]:
        return frozenset(t for t in self.templates if "%(" not in t)

    @cached_property
    def _phrases_longest_first(self) -> tuple[str, ...]:
        return tuple(sorted((p for p in self._phrases if p), key=lambda p: (-len(p), p)))

    def _known(self, text: str) -> bool:
        return text in self._phrases or any(pattern.fullmatch(text) for _, pattern in self._matchers)

    def translate(self, text: str, gettext: Callable[[str], str]) -> str:
        """`text` (as stored) in the language of `gettext`, or as it is when no template made it."""
        if text in self._phrases:
            return gettext(text)
        parts = text.split(SEPARATOR)
        # several findings of one signal, joined (a user agent's contradictions): each on its own, unless
        # a template that itself holds the separator made the whole text
        if len(parts) > 1 and all(self._known(part) for part in parts) and \
                not any(SEPARATOR in template and pattern.fullmatch(text) for template, pattern in self._matchers):
            return SEPARATOR.join(self.translate(part, gettext) for part in parts)
        for template, pattern in self._matchers:
            found = pattern.fullmatch(text)
            if found is None:
                continue
            values = {name: self.translate(value, gettext) if name in self.phrase_slots and self._known(value)
                      else value for name, value in found.groupdict().items()}
            # the values are read back as text, already formatted: every placeholder takes them as %s
            return _PLACEHOLDER.sub(r"%(\1)s", gettext(template)) % values
        return text


def _ends_in_placeholder(template: str) -> bool:
    return any(match.end() == len(template) for match in _PLACEHOLDER.finditer(template))


REASONS = Phrasebook((Path(__file__).parent,), "said", PHRASE_SLOTS)


def templates() -> tuple[str, ...]:
    """Every template passed to `said` in this package, the most specific (most literal text) first."""
    return REASONS.templates


def translate(text: str, gettext: Callable[[str], str]) -> str:
    """`text` (a stored reason) in the language of `gettext`, or as it is when no template made it."""
    return REASONS.translate(text, gettext)
