"""The live risk monitor: poll, evaluate with the active genome, breaker, pending actions (no UI)."""
