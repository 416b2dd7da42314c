"""What `evorisk console` prints when there is no terminal (CI, pipes)."""
from __future__ import annotations

from storage import Store


def headless_summary(store: Store, network: str) -> str:
    runs = store.list_runs(limit=5)
    lines = [f"evorisk (headless: no terminal) network={network.upper()} db={store.path}",
             f"runs: {len(runs)} recent"]
    for r in runs:
        lines.append(f"  run {r['id']} {r['status']} best={r['best_fitness']}")
    lines.append("Run in a terminal for the console; `evorisk --help` lists commands.")
    return "\n".join(lines)
