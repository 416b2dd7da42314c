"""Number formatting in Hyperliquid's style: every number on the wire is a decimal string."""
from __future__ import annotations

import numpy as np

PRICE_SIG_FIGS = 6


def px_str(px: float) -> str:
    """Price with 6 significant figures, never in exponent form ("0.000012", "65012.3")."""
    return np.format_float_positional(float(px), precision=PRICE_SIG_FIGS, unique=False, fractional=False, trim="-")


def usd_str(usd: float) -> str:
    return f"{usd:.6f}".rstrip("0").rstrip(".") if usd else "0.0"


def sz_str(size: float, sz_decimals: int) -> str:
    text = f"{size:.{sz_decimals}f}"
    return text if "." in text else text + ".0"


RATE_DECIMALS = 8  # funding rates and premiums: "-0.00061334"


def rate_str(rate: float) -> str:
    text = f"{rate:.{RATE_DECIMALS}f}".rstrip("0")
    text = text + "0" if text.endswith(".") else text
    return "0.0" if text in ("0.0", "-0.0") else text
