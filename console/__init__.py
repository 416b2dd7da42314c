"""Operator surfaces: the Textual console and the `evorisk` command line."""
