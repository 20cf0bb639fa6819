"""Verification: scenarios, sweeps, certificates, CLI, pytest plugin."""
