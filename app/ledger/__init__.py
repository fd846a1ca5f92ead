"""Ledger screens: statements per brand, per worker, platform revenue, payouts (read-only)."""
