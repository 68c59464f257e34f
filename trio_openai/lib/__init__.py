"""Helpers over the client: concurrent fan-out, and (later) stream accumulators and tools."""

from ._fanout import Outcome as Outcome, map_concurrent as map_concurrent, run_all as run_all
from ._ratelimit import RateLimiter as RateLimiter, RateLimiterStatistics as RateLimiterStatistics

__all__ = ["Outcome", "RateLimiter", "RateLimiterStatistics", "map_concurrent", "run_all"]
