"""The paper exchange: a loopback HTTP stand-in that speaks Hyperliquid's /info and /exchange.

`PaperExchange` runs it in-process (`make run`, tests); `evorisk paper-exchange` runs it alone.
"""
from core.exchange.paper.clock import ManualClock, WallClock
from core.exchange.paper.exchange import PaperExchange, PaperSettings

__all__ = ["ManualClock", "PaperExchange", "PaperSettings", "WallClock"]
