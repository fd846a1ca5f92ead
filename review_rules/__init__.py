"""Fraud heuristics as data: pure functions over pandas frames (no Flask, no models)."""
