"""Deterministic sample-tenant simulator for Entra ID sign-in logs."""
