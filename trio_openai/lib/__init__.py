"""Helpers over the client: concurrent fan-out, and (later) stream accumulators and tools."""

from ._fanout import Outcome as Outcome, map_concurrent as map_concurrent, run_all as run_all

__all__ = ["Outcome", "map_concurrent", "run_all"]
