"""Tests of the scenario blocks, families and named instances."""
