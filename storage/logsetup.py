"""Logging to a rotating file and to the app_log table (never print from library code)."""
from __future__ import annotations

import logging
import logging.handlers
from datetime import datetime, timezone
from pathlib import Path

from storage.store import Store, StoreBusyError

LOG_FILE_BYTES = 5 * 1024 * 1024
LOG_FILE_BACKUPS = 3
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class StoreLogHandler(logging.Handler):
    """Writes records to app_log; a busy or failing database must never break the caller."""

    def __init__(self, store: Store, level: int = logging.INFO):
        super().__init__(level)
        self.store = store

    def emit(self, record: logging.LogRecord) -> None:
        try:
            ts = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            self.store.append_log(ts, record.levelname, record.name, self.format(record))
        except (StoreBusyError, ValueError, OSError):
            self.handleError(record)


def configure_logging(log_path: Path | None, store: Store | None, level: int = logging.INFO) -> None:
    """Route the `evorisk`, `core`, `storage` and `console` loggers; the SDK stays above DEBUG
    because it logs whole signed payloads at DEBUG."""
    root = logging.getLogger()
    root.setLevel(level)
    for h in list(root.handlers):
        if getattr(h, "_evorisk", False):
            root.removeHandler(h)
            h.close()
    fmt = logging.Formatter(LOG_FORMAT)
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(log_path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS)
        fh.setFormatter(fmt)
        fh._evorisk = True  # type: ignore[attr-defined]
        root.addHandler(fh)
    if store is not None:
        sh = StoreLogHandler(store)
        sh.setFormatter(logging.Formatter("%(message)s"))
        sh._evorisk = True  # type: ignore[attr-defined]
        root.addHandler(sh)
    logging.getLogger("hyperliquid").setLevel(logging.INFO)
    logging.getLogger("numba").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
