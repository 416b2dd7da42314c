"""Fixtures and rigs shared by test modules (tests never import other tests)."""
