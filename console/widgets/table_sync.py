"""Tables that update in place: rows keyed, cells changed where they differ, the cursor kept on the
same row (not the same index), the scroll position untouched, and a sort that survives polls.

Rebuilding a DataTable every poll (clear + add_row) snaps the cursor to row 0 and the scroll to the
left every two seconds; an operator cannot read a long line or keep a row selected that way.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

EMPTY_KEY = "__empty__"  # the "nothing here" placeholder row
_NUMBER = re.compile(r"[-+]?\d[\d,]*\.?\d*(?:e[-+]?\d+)?")


def sort_value(cell: Any) -> tuple[int, Any]:
    """A comparable key for a cell: numbers (with $, %, commas) as numbers, the rest as text."""
    text = cell.plain if isinstance(cell, Text) else str(cell)
    match = _NUMBER.search(text.replace("$", ""))
    if match and match.group(0).replace(",", "") not in ("", "-", "+"):
        try:
            return (0, float(match.group(0).replace(",", "")))
        except ValueError:
            pass
    return (1, text.lower())


class SyncedTable(DataTable):
    """A DataTable fed whole row sets that it merges in place; `s` or a header click sorts."""

    BINDINGS = [Binding("s", "cycle_sort", "Sort by next column"),
                Binding("S", "reverse_sort", "Reverse sort", show=False)]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("cursor_type", "row")
        # Warning colours (red distances, a red exit) must stay visible on the selected row too.
        kwargs.setdefault("cursor_foreground_priority", "renderable")
        super().__init__(*args, **kwargs)
        self.sort_column: str | None = None
        self.sort_reverse = False

    def set_columns(self, labels: Sequence[str]) -> None:
        """Replace every column; keys are c0, c1, ... (labels may repeat, e.g. two "dist")."""
        self.clear(columns=True)
        for i, label in enumerate(labels):
            self.add_column(label, key=f"c{i}")
        if self.sort_column is not None and self.sort_column not in self.columns:
            self.sort_column = None

    def selected_key(self) -> str | None:
        if self.row_count == 0 or self.cursor_row is None:
            return None
        try:
            key = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value
        except CellDoesNotExist:
            return None
        return None if key == EMPTY_KEY else key

    def sync(self, rows: Iterable[tuple[str, Sequence[Any]]], empty: Sequence[Any] | None = None) -> None:
        """Make the table hold exactly `rows` (key, cells), changing only what differs."""
        wanted = list(rows)
        if not wanted and empty is not None:
            wanted = [(EMPTY_KEY, empty)]
        keep = self.selected_key()
        keys = {k for k, _ in wanted}
        if self.sort_column is None and [k for k in self._keys() if k in keys] + \
                [k for k, _ in wanted if k not in self.rows] != [k for k, _ in wanted]:
            self._rebuild(wanted, keep)  # a new row belongs above others (a log is newest first)
            return
        for row_key in list(self.rows):
            if row_key.value not in keys:
                self.remove_row(row_key)
        column_keys = list(self.columns)
        for key, cells in wanted:
            if key in self.rows:
                current = self.get_row(key)
                for column_key, old, new in zip(column_keys, current, cells):
                    if old != new:
                        self.update_cell(key, column_key, new, update_width=True)
            else:
                self.add_row(*cells, key=key)
        self._apply_sort()
        if keep is not None:
            try:
                self.move_cursor(row=self.get_row_index(keep), animate=False, scroll=False)
            except RowDoesNotExist:
                pass

    def _keys(self) -> list[str]:
        return [row.key.value for row in self.ordered_rows]

    def _rebuild(self, wanted: list[tuple[str, Sequence[Any]]], keep: str | None) -> None:
        """Rows in the given order, with the cursor on the same row and the scroll where it was."""
        scroll_x, scroll_y = self.scroll_x, self.scroll_y
        self.clear()
        for key, cells in wanted:
            self.add_row(*cells, key=key)
        if keep is not None and keep in self.rows:
            self.move_cursor(row=self.get_row_index(keep), animate=False, scroll=False)
        self.scroll_to(scroll_x, scroll_y, animate=False, immediate=True)

    def _apply_sort(self) -> None:
        if self.sort_column is not None and self.row_count > 1 and self.sort_column in self.columns:
            self.sort(self.sort_column, key=sort_value, reverse=self.sort_reverse)

    def sort_by(self, column_key: str) -> None:
        """Sort by a column; the same column again reverses the order."""
        keep = self.selected_key()
        if self.sort_column == column_key:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column_key, False
        self._apply_sort()
        if keep is not None:
            self.move_cursor(row=self.get_row_index(keep), animate=False)
        label = self.columns[column_key].label.plain
        self.notify(f"sorted by {label}{' (descending)' if self.sort_reverse else ''}", timeout=2)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(event.column_key.value)

    def action_cycle_sort(self) -> None:
        keys = [k.value for k in self.columns]
        if not keys:
            return
        nxt = 0 if self.sort_column not in keys else (keys.index(self.sort_column) + 1) % len(keys)
        self.sort_column, self.sort_reverse = None, False
        self.sort_by(keys[nxt])

    def action_reverse_sort(self) -> None:
        if self.sort_column is not None:
            self.sort_by(self.sort_column)
