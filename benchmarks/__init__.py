"""Benchmarks of trio_openai against raw httpx and openai-python (see docs/performance.md).

``python -m benchmarks`` runs everything; ``python -m benchmarks.profiling`` profiles
trio_openai's hot paths. Extra requirements: benchmarks/requirements.txt.
"""
