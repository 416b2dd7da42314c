"""Exchange boundary: the Hyperliquid gateway (real SDK) and the local paper exchange.

The only package in `core/` that touches the network. Everything crossing this boundary is
either a frozen dataclass from `models` or a typed error from `errors`.
"""
