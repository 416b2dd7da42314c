"""A titled, bordered panel; until its feature lands it says what will appear there."""
from __future__ import annotations

from textual.widgets import Static


class Panel(Static):
    DEFAULT_CSS = """
    Panel { border: round $primary; padding: 0 1; height: 1fr; color: $text-muted; }
    """

    def __init__(self, title: str, placeholder: str, **kwargs):
        super().__init__(placeholder, **kwargs)
        self.border_title = title
