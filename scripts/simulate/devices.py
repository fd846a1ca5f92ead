"""Devices and user agents: a catalogue of real phones, emulators and headless browsers.

A device row is what the client-side fingerprint script reports (the DESIGN.md
`device` object). Honest devices are internally consistent: the user agent, the
platform, the screen, the GPU and the core count all describe the same phone.
Canvas hashes depend on model, OS and browser with little entropy, so identical
phones of honest people share them, as they do in real data.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Model:
    """One phone or computer model as a browser on it reports itself."""

    name: str
    family: str  # ios, android, harmony, windows, mac
    code: str  # the model code Android user agents carry
    screens: tuple[str, ...]
    gpu: str
    cores: int
    touch: int
    weight: float


MODELS: tuple[Model, ...] = (
    Model("iPhone 11", "ios", "", ("828x1792",), "Apple GPU", 6, 5, 3),
    Model("iPhone 13", "ios", "", ("1170x2532",), "Apple GPU", 6, 5, 6),
    Model("iPhone 14 Pro Max", "ios", "", ("1290x2796",), "Apple GPU", 6, 5, 3),
    Model("iPhone 15", "ios", "", ("1179x2556",), "Apple GPU", 6, 5, 5),
    Model("iPhone 16 Pro", "ios", "", ("1206x2622",), "Apple GPU", 6, 5, 3),
    Model("iPhone SE", "ios", "", ("750x1334",), "Apple GPU", 6, 5, 1),
    Model("Xiaomi 14", "android", "23127PN0CC", ("1200x2670",), "Adreno (TM) 750", 8, 10, 4),
    Model("Xiaomi 13", "android", "2211133C", ("1080x2400",), "Adreno (TM) 740", 8, 10, 3),
    Model("Redmi K70", "android", "23113RKC6C", ("1440x3200",), "Adreno (TM) 740", 8, 10, 3),
    Model("Redmi Note 12", "android", "22101317C", ("1080x2400",), "Mali-G57 MC2", 8, 5, 5),
    Model("Redmi Note 13 Pro", "android", "2312DRA50C", ("1220x2712",), "Adreno (TM) 710", 8, 5, 4),
    Model("HUAWEI Mate 60 Pro", "harmony", "ALN-AL00", ("1260x2720",), "Maleoon 910", 12, 10, 4),
    Model("HUAWEI P40", "harmony", "ANA-AN00", ("1080x2340",), "Mali-G76", 8, 10, 2),
    Model("HUAWEI nova 11", "harmony", "FOA-AL00", ("1084x2412",), "Adreno (TM) 642L", 8, 10, 2),
    Model("Honor 90", "android", "REA-AN00", ("1200x2664",), "Adreno (TM) 644", 8, 10, 3),
    Model("OPPO Find X6", "android", "PGFM10", ("1240x2772",), "Mali-G715-Immortalis MC11", 8, 10, 2),
    Model("OPPO A58", "android", "PHJ110", ("720x1612",), "Mali-G57 MC2", 8, 5, 3),
    Model("vivo X100", "android", "V2309A", ("1260x2800",), "Immortalis-G720 MC12", 8, 10, 3),
    Model("vivo Y78", "android", "V2271A", ("1080x2400",), "Mali-G57 MC2", 8, 5, 3),
    Model("OnePlus 11", "android", "PHB110", ("1440x3216",), "Adreno (TM) 740", 8, 10, 1.5),
    Model("Galaxy S23", "android", "SM-S9110", ("1080x2340",), "Adreno (TM) 740", 8, 10, 1),
    Model("Windows PC", "windows", "", ("1920x1080", "2560x1440", "1366x768", "1536x864"),
          "ANGLE (Intel, Intel(R) UHD Graphics 630 Direct3D11 vs_5_0 ps_5_0, D3D11)", 8, 0, 2),
    Model("Windows gaming PC", "windows", "", ("1920x1080", "2560x1440"),
          "ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)", 16, 0, 1),
    Model("MacBook Air", "mac", "", ("2560x1664", "2880x1864"),
          "ANGLE (Apple, ANGLE Metal Renderer: Apple M2, Unspecified Version)", 8, 0, 1),
)
MODEL_WEIGHTS = tuple(m.weight for m in MODELS)
PHONE_MODELS = tuple(m for m in MODELS if m.family in ("ios", "android", "harmony"))

IOS_VERSIONS = ("16.7.10", "17.5.1", "17.6.1", "18.1.1", "18.3.2", "18.5", "18.6.2")
ANDROID_VERSIONS = (("12", "SKQ1.211006.001"), ("13", "TKQ1.221114.001"), ("14", "UKQ1.230804.001"),
                    ("14", "UP1A.231005.007"), ("15", "AP3A.240905.015.A2"))
CHROME = ("124.0.6367.179", "126.0.6478.122", "128.0.6613.146", "130.0.6723.102", "132.0.6834.163")
NET = ("WIFI", "WIFI", "4G", "5G")

def visitor_id(r: random.Random) -> str:
    """A client visitor id like FingerprintJS issues (20 alphanumerics)."""
    return "".join(r.choices(ALNUM, k=20))


def canvas_hash(*traits: object) -> str:
    """A canvas fingerprint: the same for the same rendering stack."""
    return hashlib.md5("|".join(map(str, traits)).encode()).hexdigest()


def _ios_ua(r: random.Random, version: str, app: str, screen: str) -> str:
    v = version.replace(".", "_")
    head = f"Mozilla/5.0 (iPhone; CPU iPhone OS {v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    net = r.choice(NET)
    if app == "wechat":
        build = f"0x1800{r.randint(0x2000, 0x3fff):04x}"
        return f"{head} Mobile/15E148 MicroMessenger/8.0.{r.randint(47, 56)}({build}) NetType/{net} Language/zh_CN"
    if app == "douyin":
        return (f"{head} Mobile/15E148 aweme_{r.randint(28, 33)}.{r.randint(0, 9)}.0 JsSdk/2.0 NetType/{net} "
                "Channel/App Store ByteLocale/zh Region/CN AppTheme/light BytedanceWebview/d8a21c6")
    if app == "kuaishou":
        kwai = f"12.{r.randint(5, 11)}.{r.randint(10, 40)}.{r.randint(1000, 9999)}"
        return f"{head} Mobile/15E148 Kwai/{kwai} ISLP/0 StatusHT/47 NetType/{net}"
    if app == "taobao":
        return f"{head} Mobile/15E148 AliApp(TB/10.{r.randint(38, 45)}.10) WindVane/8.7.2 UT4Aplus/0.2.29 {screen} WK"
    major_minor = ".".join(version.split(".")[:2])
    return f"{head} Version/{major_minor} Mobile/15E148 Safari/604.1"


def _android_ua(r: random.Random, model: Model, android: str, build: str, chrome: str, app: str) -> str:
    net = r.choice(NET)
    wv = (f"Mozilla/5.0 (Linux; Android {android}; {model.code} Build/{build}; wv) AppleWebKit/537.36 "
          f"(KHTML, like Gecko) Version/4.0 Chrome/{chrome} Mobile Safari/537.36")
    if app == "wechat":
        return (f"{wv} XWEB/{r.randint(1160000, 1300000)} MMWEBSDK/20240404 MMWEBID/{r.randint(1000, 9999)} "
                f"MicroMessenger/8.0.{r.randint(47, 56)}.2600(0x2800{r.randint(0x3000, 0x3fff):04x}) "
                f"WeChat/arm64 Weixin NetType/{net} Language/zh_CN ABI/arm64")
    if app == "douyin":
        ver = f"{r.randint(28, 33)}.{r.randint(0, 9)}.0"
        return f"{wv} aweme/{ver} AppName/aweme app_version/{ver} JsSdk/2.0 NetType/{net} ByteLocale/zh"
    if app == "kuaishou":
        return f"{wv} Kwai/12.{r.randint(5, 11)}.{r.randint(10, 40)}.{r.randint(10000, 40000)} ISLP/0 NetType/{net}"
    if app == "taobao":
        return f"{wv} AliApp(TB/10.{r.randint(38, 45)}.10) UCBS/2.11.1.1 WindVane/8.5.0"
    if model.family == "harmony":
        return (f"Mozilla/5.0 (Linux; Android 12; HarmonyOS; {model.code}; HMSCore 6.14.0.302) AppleWebKit/537.36 "
                f"(KHTML, like Gecko) Chrome/114.0.5735.196 HuaweiBrowser/15.0.6.301 Mobile Safari/537.36")
    return (f"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{chrome.split('.')[0]}.0.0.0 Mobile Safari/537.36")


def _desktop_ua(r: random.Random, model: Model, chrome: str) -> tuple[str, str]:
    major = chrome.split(".")[0]
    if model.family == "mac":
        return ("macOS 14.6", f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
                              f"(KHTML, like Gecko) Chrome/{major}.0.0.0 Safari/537.36")
    tail = r.choice(("", f" Edg/{major}.0.0.0", " WindowsWechat(0x63090c11) XWEB/11275 Flue"))
    return (r.choice(("Windows 10", "Windows 11")),
            f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{major}.0.0.0 Safari/537.36{tail}")


def real_device(r: random.Random, model: Model, app: str, timezone: str, language: str,
                canvas_variants: int | None = None) -> tuple[dict, str]:
    """A consistent honest-looking device row and the user agent of the same browser."""
    screen = r.choice(model.screens)
    chrome = r.choice(CHROME)
    if model.family == "ios":
        version = r.choice(IOS_VERSIONS)
        os_name, ua, platform, browser = f"iOS {version}", _ios_ua(r, version, app, screen), "iPhone", app
        stack = (model.name, version.split(".")[0], "webkit")
    elif model.family in ("android", "harmony"):
        android, build = r.choice(ANDROID_VERSIONS)
        os_name = "HarmonyOS 4.2" if model.family == "harmony" else f"Android {android}"
        ua = _android_ua(r, model, android, build, chrome, app)
        platform = r.choice(("Linux aarch64", "Linux armv8l")) if app != "system" else "Linux armv81"
        browser = app
        stack = (model.name, android, chrome.split(".")[0])
    else:
        os_name, ua = _desktop_ua(r, model, chrome)
        platform = "MacIntel" if model.family == "mac" else "Win32"
        browser = "chrome"
        stack = (model.name, os_name, chrome.split(".")[0], screen)
    variants = canvas_variants or (2 if model.family == "ios" else 12 if model.family != "windows" else 40)
    device = {
        "fingerprint": visitor_id(r),
        "platform": platform,
        "os": os_name,
        "screen": screen,
        "timezone": timezone,
        "language": language,
        "webdriver": False,
        "emulator": False,
        "touch_points": model.touch,
        "hardware_concurrency": model.cores if model.family != "ios" or r.random() < 0.9 else 4,
        "canvas_hash": canvas_hash(*stack, browser, r.randrange(variants)),
        "webgl_renderer": model.gpu,
    }
    return device, ua


EMULATOR_GPUS = ("ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)",
                 "Google SwiftShader", "Adreno (TM) 640", "Mali-G78",
                 "ANGLE (Intel, Intel(R) UHD Graphics 630 Direct3D11 vs_5_0 ps_5_0, D3D11)")
EMULATOR_SCREENS = ("900x1600", "1080x1920", "720x1280", "1080x2400")
EMULATOR_MODELS = ("SM-G9750", "SM-S9080", "V1938T", "PCRT00", "ASUS_I005DA")


def emulator_stack(r: random.Random) -> dict:
    """Shared traits of one Android emulator image (LDPlayer/MuMu-like) on one PC."""
    gpu = r.choice(EMULATOR_GPUS)
    return {"platform": r.choice(("Linux x86_64", "Linux i686", "Linux armv8l")),
            "os": r.choice(("Android 9", "Android 12")), "screen": r.choice(EMULATOR_SCREENS),
            "hardware_concurrency": r.choice((2, 4, 8)), "webgl_renderer": gpu,
            "canvas_hash": canvas_hash("emulator", gpu, r.random()),
            "code": r.choice(EMULATOR_MODELS)}


def emulator_ua(r: random.Random, stack: dict, app: str) -> str:
    """What the in-app browser of an emulated phone claims to be."""
    android = stack["os"].split()[-1]
    chrome = r.choice(CHROME)
    wv = (f"Mozilla/5.0 (Linux; Android {android}; {stack['code']} Build/PQ3A.190605.003; wv) AppleWebKit/537.36 "
          f"(KHTML, like Gecko) Version/4.0 Chrome/{chrome} Mobile Safari/537.36")
    if app == "douyin":
        return f"{wv} aweme/30.1.0 AppName/aweme app_version/30.1.0 JsSdk/2.0 NetType/WIFI ByteLocale/zh"
    if app == "kuaishou":
        return f"{wv} Kwai/12.6.20.36866 ISLP/0 NetType/WIFI"
    return wv


HEADLESS_UAS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/126.0.6478.126 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/128.0.0.0 Safari/537.36",
    "python-requests/2.32.3",
    "okhttp/4.12.0",
    "Go-http-client/2.0",
    "axios/1.7.7",
    "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
)
HEADLESS_GPUS = ("Google SwiftShader", "Mesa/X.org llvmpipe (LLVM 15.0.7, 256 bits)",
                 "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)")


def headless_device(r: random.Random, timezone: str, webdriver: bool) -> dict:
    """A server-side automation browser (Puppeteer/Selenium) on a Linux box."""
    gpu = r.choice(HEADLESS_GPUS)
    return {"fingerprint": visitor_id(r), "platform": "Linux x86_64", "os": "Linux",
            "screen": r.choice(("800x600", "1920x1080", "1280x720")), "timezone": timezone,
            "language": r.choice(("zh-CN", "en-US")), "webdriver": webdriver, "emulator": False,
            "touch_points": 0, "hardware_concurrency": r.choice((2, 4)), "canvas_hash": canvas_hash("headless", gpu),
            "webgl_renderer": gpu}
