"""User agents: parsed by ua-parser, bots recognised by crawlerdetect, compared with device traits.

Both libraries work per string, so everything here runs once per distinct value. crawlerdetect
compiles its ~1,500 maintained bot patterns into one alternation, which Python's `re` tries at
every position of the string (~5 ms per user agent). `bot_match` asks the same patterns the
same question, but only the few whose mandatory literal text occurs in the string (found
through a trigram index), so the verdict is identical and ~100x cheaper.
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]

import numpy as np
import pandas as pd

from review_rules.reasons import SEPARATOR, said

UA_COLUMNS = ("ua_os", "ua_mobile", "ua_bot", "ua_bot_match")
_VARIABLE = r"0x[0-9a-fA-F]+|\d+"


def _literal_options(items: list) -> tuple[str, ...] | None:
    """Literal texts one of which every match of the parsed sequence contains (None if unknown).

    Runs of plain characters count, and so do groups whose alternatives all have such a text;
    the option set whose shortest member is longest wins (the most selective index key).
    """
    candidates: list[tuple[str, ...]] = []
    run = ""
    for op, value in items:
        if op is sre_constants.LITERAL:
            run += chr(value)
            continue
        if run:
            candidates.append((run,))
            run = ""
        if op is sre_constants.SUBPATTERN:
            inner = _literal_options(list(value[-1]))
            if inner:
                candidates.append(inner)
        elif op is sre_constants.BRANCH:
            options = [_literal_options(list(branch)) for branch in value[1]]
            if all(options):
                candidates.append(tuple(x for opt in options for x in opt))  # type: ignore[union-attr]
    if run:
        candidates.append((run,))
    usable = [c for c in candidates if min(len(x) for x in c) >= 3]
    return max(usable, key=lambda c: min(len(x) for x in c)) if usable else None


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Lower-case texts (>= 3 chars) one of which every match of `pattern` contains, if known."""
    try:
        tree = sre_parser.parse(pattern, re.IGNORECASE)
    except re.error:
        return None
    options = _literal_options(list(tree.data))
    return tuple(sorted({x.lower() for x in options})) if options else None


@functools.lru_cache(maxsize=1)
def _bot_patterns() -> tuple[dict[str, list[tuple[str, re.Pattern]]], list[re.Pattern], re.Pattern]:
    """(first trigram -> [(literal, pattern)], patterns without a literal, exclusions)."""
    from crawlerdetect.crawlerdetect import get_compiled_exclusions_regex
    from crawlerdetect.providers.crawlers import data

    index: dict[str, list[tuple[str, re.Pattern]]] = defaultdict(list)
    always: list[re.Pattern] = []
    for pattern in data:
        compiled = re.compile(pattern, re.IGNORECASE)
        literals = required_literals(pattern)
        for literal in literals or ():
            index[literal[:3]].append((literal, compiled))
        if not literals:
            always.append(compiled)
    return dict(index), always, get_compiled_exclusions_regex()


@functools.lru_cache(maxsize=200_000)
def bot_match(user_agent: str) -> str | None:
    """The text of the user agent that a crawlerdetect pattern matches, or None for a browser."""
    index, always, exclusions = _bot_patterns()
    agent = exclusions.sub("", user_agent.strip())
    if not agent:
        return None
    lower = agent.lower()
    candidates = list(always)
    for start in range(len(lower) - 2):
        for literal, compiled in index.get(lower[start:start + 3], ()):
            if literal in lower:
                candidates.append(compiled)
    for compiled in dict.fromkeys(candidates):
        found = compiled.search(agent)
        if found:
            return found.group(0) or compiled.pattern
    return None


def os_family(name: str | None) -> str:
    """ios, android, windows, mac, linux, other or none, from an OS name or a platform string."""
    if not name:
        return "none"
    text = name.lower()
    for family, needles in (("ios", ("ios", "iphone", "ipad", "ipod")), ("android", ("android", "harmony")),
                            ("windows", ("windows", "win32", "win64")), ("mac", ("mac",)),
                            ("linux", ("linux", "ubuntu", "fedora", "x11", "cros", "chrome os"))):
        if any(n in text for n in needles):
            return family
    return "other"


@functools.lru_cache(maxsize=200_000)
def describe_one(user_agent: str) -> tuple[str, bool, bool, str | None]:
    """(OS family, is a phone/tablet browser, is a bot, matched bot pattern) of one user agent."""
    from ua_parser import parse_device, parse_os

    match = bot_match(user_agent)
    parsed_os = parse_os(user_agent)
    family = os_family(parsed_os.family if parsed_os else None)
    device = parse_device(user_agent)
    mobile = family in ("ios", "android") or bool(device and device.family not in ("Other", "Spider"))
    return family, mobile and family not in ("windows", "mac"), match is not None, match


NO_AGENT = ("none", False, False, None)
_SHAPE_CACHE_SIZE = 200_000
_by_shape: dict[str, tuple[str, bool, bool, str | None]] = {}


@functools.lru_cache(maxsize=_SHAPE_CACHE_SIZE)
def shape(user_agent: str) -> str:
    """The user agent with digit runs and hex ids folded to 0 (in-app browsers vary only there)."""
    return re.sub(_VARIABLE, "0", user_agent)


def describe_shaped(user_agent: str) -> tuple[str, bool, bool, str | None]:
    """`describe_one` of the first user agent this process met with the same shape."""
    key = shape(user_agent)
    found = _by_shape.get(key)
    if found is None:
        if len(_by_shape) >= _SHAPE_CACHE_SIZE:
            _by_shape.clear()
        found = _by_shape[key] = describe_one(user_agent) if user_agent.strip() else NO_AGENT
    return found


def describe(user_agents: np.ndarray | list) -> dict[str, np.ndarray]:
    """UA_COLUMNS -> one array over the given user agents (a missing one is os 'none', not mobile,
    not a bot).

    In-app browsers append random build numbers and ids, so a large batch holds hundreds of
    thousands of distinct strings but few distinct *shapes* (digit runs and hex ids folded);
    each shape is parsed once per process, through the first user agent of that shape, so a
    single proof scored online finds its user agent's description already known.
    """
    codes, uniques = pd.factorize(np.asarray(user_agents, dtype=object), use_na_sentinel=True)
    rows = [describe_shaped(str(agent)) for agent in uniques] + [NO_AGENT]  # code -1 (missing) takes the last
    return {name: np.array(values, dtype=dtype)[codes] for name, values, dtype in
            zip(UA_COLUMNS, zip(*rows, strict=True), (object, bool, bool, object), strict=True)}


def gpu_class(renderer: str | None) -> str:
    """software (headless/emulated), apple, mobile, desktop, or unknown."""
    if not renderer:
        return "unknown"
    text = renderer.lower()
    if any(n in text for n in ("swiftshader", "llvmpipe", "softpipe", "virtualbox", "vmware", "mesa offscreen")):
        return "software"
    if "apple" in text:
        return "apple"
    if any(n in text for n in ("adreno", "mali", "immortalis", "maleoon", "powervr", "xclipse", "tegra")):
        return "mobile"
    if any(n in text for n in ("direct3d", "nvidia", "radeon", "intel", "geforce", "amd")):
        return "desktop"
    return "unknown"


def _platform_fits(ua_os: str, platform: str | None, touch: float) -> bool:
    if not platform:
        return True
    text = platform.lower()
    if ua_os == "ios":  # iPadOS in desktop mode reports MacIntel, but it has a touch screen
        return any(n in text for n in ("iphone", "ipad", "ipod")) or ("mac" in text and touch > 0)
    if ua_os == "android":
        return "linux" in text and not any(n in text for n in ("x86", "i686", "i386", "amd64"))
    if ua_os in ("windows", "mac", "linux"):
        return os_family(platform) == ua_os
    return True


def mismatches(ua_os: str, mobile: bool, platform: str | None, device_os: str | None, touch: float,
               renderer: str | None) -> list[str]:
    """Ways the device traits contradict the user agent (empty when they agree or are unknown)."""
    found = []
    if ua_os in ("none", "other"):
        return found
    device_family = os_family(device_os)
    if device_family not in ("none", "other") and device_family != ua_os:
        found.append(said("UA says %(ua)s, device OS says %(os)s", ua=ua_os, os=device_os))
    if not _platform_fits(ua_os, platform, touch):
        found.append(said("UA says %(ua)s, platform is %(platform)s", ua=ua_os, platform=platform))
    if mobile and touch == 0:
        found.append(said("phone UA without a touch screen"))
    gpu = gpu_class(renderer)
    if (mobile and gpu in ("software", "desktop")) or (ua_os == "ios" and gpu == "mobile") or \
            (ua_os == "android" and gpu == "apple"):
        found.append(said("%(ua)s UA on GPU %(renderer)s", ua=ua_os, renderer=renderer))
    return found


def mismatch_table(ua: dict[str, np.ndarray], devices: pd.DataFrame,
                   rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(number of contradictions, their text joined by '; ') per row: of the given `rows` positions
    (every row by default), 0 and "" elsewhere. Each combination of traits is judged once per
    process: a context repeats a few dozen, and so do the contexts after it."""
    take = np.arange(len(devices)) if rows is None else rows
    touch = pd.to_numeric(devices["device_touch_points"], errors="coerce").fillna(-1).to_numpy(dtype=float)
    columns = [ua["ua_os"][take], ua["ua_mobile"][take].tolist(),
               *(_present(devices[c], take) for c in ("device_platform", "device_os")), touch[take].tolist(),
               _present(devices["device_webgl_renderer"], take)]
    judged = [_judged(*traits) for traits in zip(*columns, strict=True)]
    count, text = np.zeros(len(devices)), np.full(len(devices), "", dtype=object)
    count[take] = [found for found, _ in judged]
    text[take] = [joined for _, joined in judged]
    return count, text


def _present(values: pd.Series, rows: np.ndarray) -> list:
    """The column's values at `rows` as a list, with None for every missing value."""
    return [None if v is None or v != v else v for v in values.to_numpy(dtype=object)[rows].tolist()]


@functools.lru_cache(maxsize=100_000)
def _judged(*traits: object) -> tuple[int, str]:
    found = mismatches(*traits)
    return len(found), SEPARATOR.join(found)
