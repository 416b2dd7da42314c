"""The typed confirmation a live mainnet session (the console or the monitor) needs besides
--i-understand-mainnet (SPEC 6).

The flag proves intent at the time the command was written (a script, shell history); the typed
word proves a person is at the terminal now. Without a terminal there is nobody to ask, so a
live mainnet session is refused. Read-only market data (`data fetch --network mainnet`) never
loads the key and needs neither (console.services.data_spec.read_gateway).
"""
from __future__ import annotations

from typing import TextIO

from core.errors import BadInputError

CONFIRM_WORD = "MAINNET"
PROMPT = (f"evorisk: a LIVE MAINNET session loads the signing key: approved actions send real orders "
          f"with real money.\nType {CONFIRM_WORD} to continue: ")


def require_mainnet_confirmation(stdin: TextIO, stdout: TextIO, what: str) -> None:
    """Return only after the operator typed CONFIRM_WORD on a terminal; BadInputError otherwise.

    Nothing has been opened or built when this runs: no gateway, no key, no request."""
    if not (stdin.isatty() and stdout.isatty()):
        raise BadInputError(f"{what} on mainnet needs a typed confirmation on a terminal; there is none "
                            "(stdin or stdout is not a TTY), so nothing was started")
    stdout.write(PROMPT)
    stdout.flush()
    answer = stdin.readline()
    if answer.strip() != CONFIRM_WORD:
        shown = "nothing" if not answer.strip() else repr(answer.strip()[:20])
        raise BadInputError(f"{what} on mainnet not confirmed (typed {shown}, not {CONFIRM_WORD}); "
                            "nothing was started")


def require_live_mainnet(understood: bool, stdin: TextIO, stdout: TextIO, what: str) -> None:
    """The whole guard of a live mainnet session: the flag, then the typed word on a terminal.
    Called before the database, the key or any gateway exists; BadInputError (exit 2) otherwise."""
    if not understood:
        raise BadInputError(f"{what} on mainnet needs --i-understand-mainnet (and a typed confirmation)")
    require_mainnet_confirmation(stdin, stdout, what)
