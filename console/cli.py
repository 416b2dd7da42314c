"""`evorisk` command line (SPEC section 11). Exit codes live in console/exit_codes.py: 0 ok, 2 bad
input, 3 exchange unreachable, 4 database busy or full, 1 bug; every error is one stderr line.

Each command only parses its arguments and prints; the work is in console/services/. Modules that
load numba, pandas (the store does, through sqlite_utils), vectorbt or plotly are imported inside
the commands that need them so `evorisk console` starts fast (tests/structure/test_import_graph.py).
"""
from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
import traceback

from console.commands import (alerts, backtest, data_fetch, evolve, local_files, monitor, operator_console,
                              paper_exchange, promote, replay, report, size, study)
from console.exit_codes import EXIT_BAD_INPUT, EXIT_BUG, EXIT_CANCELLED, EXIT_DB_BUSY, EXIT_OK, EXIT_UNREACHABLE
from core.errors import (BadInputError, DataValidationError, EvoriskError, ExchangeUnavailableError,
                         StorageUnavailableError)
from core.log_routing import route_logging

log = logging.getLogger("evorisk.cli")

# Subcommand modules under console/commands/, each with `register(sub, common)`; one line each.
COMMAND_MODULES = (backtest, evolve, study, paper_exchange, replay, monitor, promote, report, size, alerts)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def _global_flags(suppress_defaults: bool) -> argparse.ArgumentParser:
    """--db and --verbose, accepted before or after the subcommand with the same meaning.

    The copy on each subcommand has SUPPRESS defaults: without that, a subparser would overwrite
    `evorisk --db X actions` with its own default (None) and quietly use another database."""
    default = argparse.SUPPRESS if suppress_defaults else None
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument("--db", default=default, help="SQLite file (default: user data dir or $EVORISK_DB)")
    flags.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS if suppress_defaults else False,
                       help="show tracebacks and debug logs")
    return flags


def build_parser() -> argparse.ArgumentParser:
    common = _global_flags(suppress_defaults=True)
    p = _Parser(prog="evorisk", description="Risk console for Hyperliquid perpetuals.",
                parents=[_global_flags(suppress_defaults=False)])
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    operator_console.register(sub, common)  # first: the default command

    d = sub.add_parser("data", parents=[common], help="market data files")
    dsub = d.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    local_files.register_data_check(dsub, common)
    data_fetch.register(dsub, common)  # fetch, list

    g = sub.add_parser("genome", parents=[common], help="genome files")
    gsub = g.add_subparsers(dest="genome_command", required=True, parser_class=_Parser)
    local_files.register_genome_show(gsub, common)

    for module in COMMAND_MODULES:
        module.register(sub, common)
    return p


def _early_logging(argv: list[str]) -> None:
    """Before anything can fail: records go nowhere but an explicit handler, so Python's
    last-resort handler never prints a traceback to stderr; --verbose shows them on stderr.
    The store's handlers join when a command opens it (console.services.opening)."""
    route_logging(logging.DEBUG if "--verbose" in argv else logging.INFO, stderr="--verbose" in argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _early_logging(argv)
    verbose = "--verbose" in argv
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            args = parser.parse_args(["console", *argv])
        return _run(args)
    except SystemExit as exc:  # argparse: a usage error (its one line is written) is 2, --help is 0
        return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_BAD_INPUT)
    except Exception as exc:  # boundary: one readable line; the traceback only on request
        return _internal_error(exc, verbose)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args))
    except DataValidationError as exc:
        for line in exc.problems:
            sys.stderr.write(line + "\n")
        return EXIT_BAD_INPUT
    except BadInputError as exc:
        sys.stderr.write(f"evorisk: {_one_line(exc)}\n")
        return EXIT_BAD_INPUT
    except ExchangeUnavailableError as exc:
        sys.stderr.write(f"evorisk: exchange unreachable: {_one_line(exc)}\n")
        return EXIT_UNREACHABLE
    except StorageUnavailableError as exc:
        sys.stderr.write(f"evorisk: {_one_line(exc)}; nothing more was written, retry later\n")
        return EXIT_DB_BUSY
    except sqlite3.DatabaseError as exc:  # met outside Store.transaction: busy, damaged, read-only
        from storage.open import classify_sqlite_error  # heavy: storage loads sqlite_utils

        busy, message = classify_sqlite_error(getattr(args, "db", None), exc)
        sys.stderr.write(f"evorisk: {message}\n")
        return EXIT_DB_BUSY if busy else EXIT_BAD_INPUT
    except EvoriskError as exc:
        sys.stderr.write(f"evorisk: {_one_line(exc)}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("evorisk: interrupted\n")
        return EXIT_CANCELLED
    except Exception as exc:  # boundary: one readable line; the traceback only on request
        return _internal_error(exc, getattr(args, "verbose", False))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _internal_error(exc: Exception, verbose: bool) -> int:
    log.exception("unexpected error")
    if verbose:
        traceback.print_exc()
    sys.stderr.write(f"evorisk: internal error: {type(exc).__name__}: {_one_line(exc)} (run with --verbose)\n")
    return EXIT_BUG


if __name__ == "__main__":
    raise SystemExit(main())
