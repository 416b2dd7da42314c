"""Where evorisk's log records go, before and after a database is open (never print from library code).

Every entry point routes the root logger through route_logging: a NullHandler always, so a record
never falls through to logging's last-resort handler (which prints tracebacks to stderr), stderr
only on request (--verbose), and whatever handlers the caller adds (storage/logsetup.py adds the
log file and the app_log table). Routing again replaces what the previous call installed. The SDK
stays above DEBUG because it logs whole signed payloads at DEBUG.

It lives in core, apart from the store, so `evorisk --help` and a usage error route logging
without loading sqlite_utils (and the pandas it imports).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_evorisk"  # set on the handlers installed here, so a later call removes exactly those
QUIET_LOGGERS = {"hyperliquid": logging.INFO, "numba": logging.WARNING, "urllib3": logging.WARNING}


def route_logging(level: int = logging.INFO, stderr: bool = False,
                  formatted: Iterable[logging.Handler] = (), preformatted: Iterable[logging.Handler] = ()) -> None:
    """Replace evorisk's handlers on the root logger: a NullHandler, stderr if asked, `formatted`
    (given LOG_FORMAT) and `preformatted` (keeping their own formatter)."""
    root = logging.getLogger()
    root.setLevel(level)
    for h in list(root.handlers):
        if getattr(h, _MARK, False):
            root.removeHandler(h)
            h.close()
    handlers: list[logging.Handler] = [logging.NullHandler(), *([logging.StreamHandler()] if stderr else []),
                                       *formatted]
    fmt = logging.Formatter(LOG_FORMAT)
    for h in handlers:
        h.setFormatter(fmt)
    for h in [*handlers, *preformatted]:
        setattr(h, _MARK, True)
        root.addHandler(h)
    for name, quiet_level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet_level)
