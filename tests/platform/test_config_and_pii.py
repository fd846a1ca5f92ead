"""Config parsing rejects malformed values; PII helpers encrypt, hash and mask."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app.platform.pii import PiiKeyError, PiiVault, mask_ip, mask_phone
from config import ConfigError, ProductionConfig, env_bool, env_float, sqlalchemy_url


def test_env_parsers_name_the_bad_variable(monkeypatch):
    monkeypatch.setenv("X_RATE", "lots")
    with pytest.raises(ConfigError, match="X_RATE"):
        env_float("X_RATE", 0.1, 0, 1)
    monkeypatch.setenv("X_RATE", "1.5")
    with pytest.raises(ConfigError, match="outside"):
        env_float("X_RATE", 0.1, 0, 1)
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ConfigError, match="X_FLAG"):
        env_bool("X_FLAG", False)


def test_postgres_urls_use_psycopg3():
    assert sqlalchemy_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert sqlalchemy_url("sqlite:///x.db") == "sqlite:///x.db"


def test_postgres_plans_each_statement_with_its_own_parameters(app):
    """A generic plan cached while a table was empty turns a big import quadratic (app._tune_engine)."""
    import sqlalchemy as sa

    from models import db

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    assert db.session.scalar(sa.text("SHOW plan_cache_mode")) == "force_custom_plan"


def test_production_refuses_to_start_without_secrets(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        ProductionConfig.check()


def test_vault_rotation_reads_old_values_and_hashes_are_keyed():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = PiiVault.from_keys(old, "k" * 32).encrypt("+8613800000000")
    rotated = PiiVault.from_keys(f"{new},{old}", "k" * 32)
    assert rotated.decrypt(token) == "+8613800000000"
    other = PiiVault.from_keys(new, "z" * 32)
    assert rotated.keyed_hash("1.2.3.4", "ip") != other.keyed_hash("1.2.3.4", "ip")
    with pytest.raises(PiiKeyError):
        other.decrypt(token)


def test_ip_prefix_hash_groups_a_slash_24():
    vault = PiiVault.from_keys(Fernet.generate_key().decode(), "k" * 32)
    a, b, c = vault.ip_hashes("10.1.2.3"), vault.ip_hashes("10.1.2.200"), vault.ip_hashes("10.1.3.3")
    assert a[1] == b[1] != c[1] and a[0] != b[0]


def test_masks_hide_the_host_and_the_middle_digits():
    assert mask_ip("223.104.3.77") == "223.104.3.x"
    assert mask_phone("+8613800138000") == "+86138****8000"
