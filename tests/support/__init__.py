"""Test support: rigs and helpers shared by several test modules."""
