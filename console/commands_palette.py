"""Command palette: every console command, offered only when it is valid right now."""
from __future__ import annotations

from functools import partial
from typing import Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider
from core.vocabulary import ActionStatus


class EvoriskCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, object, str]]:
        app = self.app
        session = getattr(app, "session", None)
        snap = getattr(app, "snapshot", None)
        for tab, key in (("Live", "live"), ("Evolution", "evolution"), ("Runs", "runs"), ("Log", "log")):
            yield f"Show {tab}", partial(app.action_show_tab, key), f"switch to the {tab} tab"
        if session is not None and session.can_switch_scenario:
            for name in session.scenario_names():
                yield (f"Paper scenario: {name}", partial(app.action_scenario, name),
                       "script the paper exchange's market from now on")
        if session is not None:
            yield ("Size a new position", app.action_size_position,
                   "how big a position the active genome allows (concentration, correlation, breaker)")
        read_only = getattr(app, "read_only", False)
        if snap is not None and any(a.status == ActionStatus.PENDING for a in snap.pending_actions):
            yield "Review pending action", app.action_review_action, "approve or reject what the breaker proposed"
        if session is not None and snap is not None and snap.positions and not read_only:
            yield ("Propose the exit again", app.action_propose_exit,
                   "after a reject or an expiry: the monitor proposes closing every position anew")
        if session is not None and snap is not None and snap.breaker_state not in ("NORMAL", "STALE") \
                and not read_only:
            yield "Reset breaker", app.action_reset_breaker, "operator reset (asks first): the peak becomes the equity"
        running = any(w.group == "evolution" and w.is_running for w in app.workers)
        if running:
            yield "Cancel evolution", app.cancel_evolution, "stop after the current generation (resumable)"
        yield "Toggle dark/light theme", app.action_toggle_theme, "switch the colour theme"
        yield "Keys of this screen", app.action_help, "every key that works here (also: ?)"

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
