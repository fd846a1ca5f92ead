"""Encryption at rest (MultiFernet) and keyed hashes (HMAC) for personal data.

Matching never decrypts: rules compare HMACs. Rotating keys: put a new Fernet key first in
PII_KEYS, keep the old ones after it; `MultiFernet.rotate` re-encrypts on demand.
"""
from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class PiiKeyError(RuntimeError):
    pass


@dataclass(frozen=True)
class PiiVault:
    fernet: MultiFernet
    hmac_key: bytes
    newest: Fernet | None = None  # the first key of PII_KEYS: what `rotate` re-encrypts under

    @classmethod
    def from_keys(cls, fernet_keys: str, hmac_key: str) -> PiiVault:
        try:
            fernets = [Fernet(k.strip().encode()) for k in fernet_keys.split(",") if k.strip()]
        except ValueError as exc:
            raise PiiKeyError("PII_KEYS must be comma-separated Fernet keys") from exc
        if not fernets:
            raise PiiKeyError("PII_KEYS is empty")
        if len(hmac_key) < 32:
            raise PiiKeyError("PII_HMAC_KEY must be at least 32 characters")
        return cls(MultiFernet(fernets), hmac_key.encode(), fernets[0])

    def encrypt(self, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        return self.fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self.fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise PiiKeyError("cannot decrypt: the key that wrote this value is not in PII_KEYS") from exc

    def is_current(self, token: str) -> bool:
        """True when the newest key wrote `token`: it opens it alone (a wrong key fails at the HMAC, cheaply)."""
        newest = self.newest or self.fernet._fernets[0]
        try:
            newest.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str:
        """`token` re-encrypted under the newest key; raises PiiKeyError when no key in PII_KEYS opens it."""
        try:
            return self.fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise PiiKeyError("cannot rotate: the key that wrote this value is not in PII_KEYS") from exc

    def keyed_hash(self, value: str | None, purpose: str) -> str | None:
        """HMAC-SHA256 truncated to 128 bits; `purpose` separates namespaces (ip vs phone)."""
        if value is None or value == "":
            return None
        msg = purpose.encode() + b"\x00" + value.encode()
        return hmac.digest(self.hmac_key, msg, "sha256").hex()[:32]  # the one-shot C path

    def ip_hashes(self, ip: str) -> tuple[str, str]:
        """(hash of the address, hash of its /24 — or /48 for IPv6 — network)."""
        addr = ipaddress.ip_address(ip)
        if addr.version == 4:  # the /24 as ip_network would write it, without building one (hot in intake)
            network = str(addr).rsplit(".", 1)[0] + ".0/24"
        else:
            network = str(ipaddress.ip_network(f"{addr}/48", strict=False))
        return self.keyed_hash(str(addr), "ip"), self.keyed_hash(network, "ip_prefix")  # type: ignore[return-value]


def mask_ip(ip: str | None) -> str:
    """Show the network, hide the host: 223.104.3.77 -> 223.104.3.x."""
    if not ip:
        return "—"
    if ":" in ip:
        return ":".join(ip.split(":")[:3]) + ":…"
    return ".".join(ip.split(".")[:3]) + ".x"


def mask_phone(phone: str | None) -> str:
    if not phone:
        return "—"
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "****"


def load_or_create_dev_keys(instance_dir: Path) -> tuple[str, str]:
    """Development only: persist generated keys so the demo database stays readable."""
    path = instance_dir / "dev-keys.txt"
    if path.exists():
        fernet_key, hmac_key = path.read_text().split("\n")[:2]
        return fernet_key, hmac_key
    instance_dir.mkdir(parents=True, exist_ok=True)
    fernet_key = Fernet.generate_key().decode()
    hmac_key = Fernet.generate_key().decode()
    path.write_text(f"{fernet_key}\n{hmac_key}\n")
    path.chmod(0o600)
    return fernet_key, hmac_key


def mask_licence(number: str | None) -> str:
    """Keep only the last four characters of a business licence number (91310000MA1FL8XQ3B -> ••…XQ3B)."""
    if not number:
        return "—"
    return "•" * max(len(number) - 4, 4) + number[-4:] if len(number) > 4 else "••••"
