"""Compliance services: brand files, KYC, risk scorecards and the audit trail view."""
