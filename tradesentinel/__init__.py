"""tradesentinel: find and explain anomalies in global trade flows."""

__version__ = "0.1.0"
