"""Market data: validated OHLCV loading, windows, regimes and a seeded synthetic market."""
from core.market.ohlcv import OHLCV
from core.market.loader import load_csv, load_many, check_files

__all__ = ["OHLCV", "load_csv", "load_many", "check_files"]
