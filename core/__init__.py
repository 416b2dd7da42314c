"""evorisk domain and engines: genome, market data, backtest kernel, risk policy, exchange.

Nothing here imports Textual or writes SQL.
"""
