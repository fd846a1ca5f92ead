"""Two languages (Simplified Chinese first, English), each staff member's time zone, and the
formats of dates, numbers and money in them.

Every area keeps its own message catalogue in `app/<area>/translations/` (extracted from its
package and from `app/templates/<area>/`); Flask-Babel merges them. Code marks a string with
`_()` (translated now) or `_l()` (translated when shown: form labels, constants); templates
with `_()`. The source language is English, so an English page needs no catalogue.

Which language: the staff member's own choice (stored on the account), else the one picked on the
sign-in page (kept in the session), else the browser's Accept-Language, else Chinese. Commands
speak English unless WORKBENCH_LOCALE (or LANG) says zh_CN: scripts read their output.
"""
from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache, cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import flask_babel
from babel import support
from babel.numbers import format_decimal
from flask import Flask, current_app, has_app_context, has_request_context, session
from flask_babel import Babel, LazyString, format_datetime, get_locale, get_translations
from flask_login import current_user
from markupsafe import Markup, escape

from review_rules.reasons import REASONS, Phrasebook
from review_rules.reasons import stated as stated  # re-exported: the app's modules mark stored messages with it

LOCALES = {"zh_CN": "简体中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"
DEFAULT_TIMEZONE = "Asia/Shanghai"
AREAS_WITH_CATALOGUES = ("platform", "auth", "intake", "scoring", "review", "money", "compliance", "rules",
                         "admin")
# Dates as a Chinese or an English reader writes them: 2026年12月3日 14:05 / Dec 3, 2026 14:05.
DATETIME_FORMATS = {"zh": "y年M月d日 HH:mm", "en": "MMM d, y HH:mm"}
DATE_FORMATS = {"zh": "y年M月d日", "en": "MMM d, y"}
# The placeholders of `stated` messages whose value may itself be a stated message (what a task was
# doing, why it stopped), translated along with the sentence; other values are data.
STATED_SLOTS = frozenset({"before", "reason", "why", "model", "part"})



class CatalogueDomain(flask_babel.Domain):
    """Finds the `zh_CN` catalogues for the locale Babel spells in full (`zh_Hans_CN`): gettext only
    tries the full name and the bare language, so a catalogue named the way people write the locale
    would never load."""

    def get_translations(self) -> support.Translations | support.NullTranslations:
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        key = str(locale)
        if key not in self.cache:
            names = [key, "_".join(filter(None, (locale.language, locale.territory))), locale.language]
            merged = support.Translations()
            for directory in self.translation_directories:
                catalogue = support.Translations.load(directory, names, self.domain[0])
                merged.merge(catalogue)
                if hasattr(catalogue, "plural"):  # merge() keeps the messages, not the plural rule
                    merged.plural = catalogue.plural
            self.cache[key] = merged
        return self.cache[key]


class WorkbenchBabel(Babel):
    @cached_property
    def domain_instance(self) -> CatalogueDomain:
        return CatalogueDomain(domain=self.domain)


babel = WorkbenchBabel()


def translation_directories(app_root: str) -> str:
    """The catalogue folders of every area that has one, as Flask-Babel reads them."""
    found = [f"{area}/translations" for area in AREAS_WITH_CATALOGUES
             if os.path.isdir(os.path.join(app_root, area, "translations"))]
    return ";".join(found) or "platform/translations"


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", DEFAULT_TIMEZONE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories(app.root_path)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.extensions["i18n_missing"] = set()
    # Flask-Babel caches the locale on `g`; a request that shares an application context with an
    # earlier one (a test client, a command) must choose its own language again.
    app.before_request(flask_babel.refresh)
    # Our own callables: the same translation, plus a record of what the catalogue lacks (tests read it).
    app.jinja_env.install_gettext_callables(gettext=_template_gettext, ngettext=_template_ngettext, newstyle=True)
    app.jinja_env.globals.update(LOCALES=LOCALES, current_locale=lambda: str(get_locale()), role_label=role_label,
                                 declared_text=_template_gettext, reason_text=reason_text,
                                 stored_text=stored_text)
    app.extensions.setdefault("web_warm_ups", []).append(stated_templates)
    from app.platform.vocabulary import TEMPLATE_GLOBALS

    app.jinja_env.globals.update(TEMPLATE_GLOBALS)


def select_locale() -> str:
    if not has_request_context():
        return command_locale()
    from flask import request

    if request.path.startswith("/api/"):  # machine clients: English unless they ask for Chinese
        return browser_locale() or "en"
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    return browser_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]


def browser_locale() -> str | None:
    from flask import request

    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    if best is None:
        return None
    return "en" if best == "en" else "zh_CN"


def command_locale() -> str:
    raw = os.environ.get("WORKBENCH_LOCALE") or os.environ.get("LANG") or ""
    return "zh_CN" if raw.lower().startswith("zh") else "en"


def select_timezone() -> str:
    default = current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_TIMEZONE)
    if has_request_context() and current_user and getattr(current_user, "is_authenticated", False):
        return valid_timezone(current_user.timezone) or default
    return default


def valid_timezone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


# -- marking strings --------------------------------------------------------------------------------

def _note(msgid: str) -> None:
    """Remember a message the current (non-English) catalogue does not translate."""
    if not current_app.config.get("I18N_RECORD_MISSING"):
        return
    locale = str(get_locale() or "en")
    if locale.startswith("en"):
        return
    catalogue = getattr(get_translations(), "_catalog", {})
    if msgid not in catalogue and (msgid, 0) not in catalogue:
        current_app.extensions["i18n_missing"].add((locale, msgid))


def _(text: str, **variables: object) -> str:
    """Translate `text` now; `%(name)s` placeholders are filled from `variables`."""
    if has_app_context():
        _note(text)
    return flask_babel.gettext(text, **variables)


def ngettext(singular: str, plural: str, num: int, **variables: object) -> str:
    if has_app_context():
        _note(singular)
    return flask_babel.ngettext(singular, plural, num, **variables)


def _template_gettext(text: str) -> str:
    """Jinja fills the placeholders itself (escaping them), so these only look the text up. Also the
    template global `declared_text`: a text declared as data (a signal's title, description, parameter
    help; scripts/i18n.py extracts them) translated as it is, where `_()` would read a `%` in it as a
    placeholder."""
    _note(text)
    return get_translations().ugettext(text)


def reason_text(entry: object) -> str:
    """A stored signal reason (`{code, score, reason}`) in the reader's language (review_rules.reasons);
    as stored when no template made it, or the translation does not fit its values."""
    return _in_reader_language(str(entry.get("reason") or "") if isinstance(entry, dict) else "", REASONS)


@cache
def _stated_messages() -> Phrasebook:
    root = Path(__file__).resolve().parents[2]
    return Phrasebook((root / "app", root / "ml", root / "review_rules"), "stated", STATED_SLOTS)


def stored_text(text: str | None) -> str:
    """A message `stated` (review_rules.reasons) made, in the reader's language; as stored when no
    template made it (an error's own words, text stored before) or the translation does not fit its values."""
    return _in_reader_language(text or "", _stated_messages())


def _in_reader_language(text: str, phrasebook: Phrasebook) -> str:
    if not text or str(get_locale()) == "en":
        return text
    try:
        return phrasebook.translate(text, _template_gettext)
    except (KeyError, TypeError, ValueError):
        return text


def stated_templates() -> str:
    """The web warm-up's reading of the `stated` templates from the app's source."""
    return f"{len(_stated_messages().templates)} stored-message templates"


def _template_ngettext(singular: str, plural: str, num: int) -> str:
    _note(singular)
    return get_translations().ungettext(singular, plural, num)


def _l(text: str, **variables: object) -> LazyString:
    """Translate `text` when it is shown (labels and constants defined at import)."""
    return LazyString(_, text, **variables)


ROLE_LABELS = {"moderator": _l("moderator"), "senior_moderator": _l("senior moderator"),
               "compliance": _l("compliance"), "operator": _l("operator"), "admin": _l("admin")}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


# -- formats ----------------------------------------------------------------------------------------

def _language() -> str:
    return "zh" if str(get_locale() or DEFAULT_LOCALE).startswith("zh") else "en"


def money(cents: int | None) -> str:
    """¥1,234.50 (fen to yuan), with the locale's grouping; '—' for nothing."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    amount = format_decimal(abs(cents) / 100, format="#,##0.00", locale=str(get_locale() or DEFAULT_LOCALE))
    return f"{sign}¥{amount}"


def number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=str(get_locale() or DEFAULT_LOCALE))


def when(value: datetime | None, date_only: bool = False, clock: bool = False) -> Markup:
    """A time in the viewer's zone and language, the UTC instant on hover; `clock`: only HH:mm."""
    if value is None:
        return Markup("—")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    formats = DATE_FORMATS if date_only else DATETIME_FORMATS
    shown = format_datetime(value, "HH:mm" if clock else formats[_language()])
    utc = value.astimezone(UTC)
    return Markup('<time datetime="{}" title="{} UTC">{}</time>').format(
        utc.isoformat(timespec="seconds"), utc.strftime("%Y-%m-%d %H:%M"), escape(shown))

