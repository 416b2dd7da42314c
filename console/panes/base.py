"""What every tab pane shares: worker failures go to the App's one handler, and a worker asks for a
toast by message instead of calling into the UI from its thread."""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.widgets import TabPane
from textual.worker import Worker, WorkerState

from console.messages import Notice, WorkerFailed

if TYPE_CHECKING:
    from console.app import EvoriskApp


class Pane(TabPane):
    """A tab pane of the console's main screen."""

    @property
    def console(self) -> EvoriskApp:
        """The App, typed (store, session, snapshot, read_only are its state)."""
        return cast("EvoriskApp", self.app)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker.StateChanged does not bubble: forward failures to the App's one handler.
        if event.state is WorkerState.ERROR:
            self.post_message(WorkerFailed(event.worker))

    def notice(self, text: str, severity: str = "information", title: str = "", timeout_s: float | None = None
               ) -> None:
        """A toast; safe from a worker thread (post_message is)."""
        self.post_message(Notice(text, severity, title, timeout_s))
