"""Spend limits for a fan-out: stop when the tokens (or their cost) reach a cap.

    spend = SpendLimit(max_output_tokens=200_000, max_cost=5.0,
                       prices={"gpt-5.2": TokenPrice(input=1.75, cached_input=0.175, output=14)})
    outcomes = await run_all(ask, questions, limit=64, spend=spend)

Every successful call's result is read for ``usage`` (Responses, chat completions,
embeddings: the field names differ, the kinds are the same). When a cap is reached the
fan-out cancels what is in flight and runs nothing more; every finished result is kept,
and each input that did not finish gets a `SpendLimitExceeded` outcome. A cap is checked
after a result arrives, so the work already in flight can overshoot it by up to ``limit``
calls' worth: set the cap with that margin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import cast, final

import attrs

__all__ = ["SpendLimit", "SpendLimitExceeded", "TokenPrice", "TokenUsage"]


@final
@attrs.frozen
class TokenUsage:
    """Tokens by kind, as usage reports them (``input`` includes ``cached``, ``output``
    includes ``reasoning``)."""

    input: int = 0
    output: int = 0
    cached: int = 0
    reasoning: int = 0

    @property
    def total(self) -> int:
        return self.input + self.output

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.input + other.input,
            self.output + other.output,
            self.cached + other.cached,
            self.reasoning + other.reasoning,
        )


@final
@attrs.frozen
class TokenPrice:
    """Prices in your currency per million tokens; ``cached_input`` defaults to ``input``."""

    input: float
    output: float
    cached_input: float | None = None

    def cost(self, usage: TokenUsage) -> float:
        cached_rate = self.input if self.cached_input is None else self.cached_input
        fresh = max(usage.input - usage.cached, 0)
        return (fresh * self.input + usage.cached * cached_rate + usage.output * self.output) / 1e6


class SpendLimitExceeded(Exception):
    """The outcome of an input that did not run, or was cancelled in flight, because a
    spend limit was reached. ``started`` says whether it was in flight (it may have been
    billed); ``limit`` names the cap that was reached."""

    def __init__(self, limit: str, spent: TokenUsage, cost: float, *, started: bool) -> None:
        self.limit = limit
        self.spent = spent
        self.cost = cost
        self.started = started
        where = "cancelled in flight" if started else "not started"
        super().__init__(f"{where}: spend limit {limit} reached (spent {spent}, cost {cost:.4f})")


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _field(source: object, *names: str) -> object:
    for name in names:
        if isinstance(source, Mapping):
            value = cast("Mapping[str, object]", source).get(name)
        else:
            value = getattr(source, name, None)
        if value is not None:
            return value
    return None


def usage_of(result: object) -> TokenUsage | None:
    """Tokens by kind from a result (or its ``usage``); None when it reports none."""
    usage = _field(result, "usage")
    if usage is None:
        usage = result
    input_tokens = _field(usage, "input_tokens", "prompt_tokens")
    output_tokens = _field(usage, "output_tokens", "completion_tokens")
    if not isinstance(input_tokens, int) and not isinstance(output_tokens, int):
        return None
    input_details = _field(usage, "input_tokens_details", "prompt_tokens_details")
    output_details = _field(usage, "output_tokens_details", "completion_tokens_details")
    return TokenUsage(
        input=_int(input_tokens),
        output=_int(output_tokens),
        cached=_int(_field(input_details, "cached_tokens")) if input_details is not None else 0,
        reasoning=(
            _int(_field(output_details, "reasoning_tokens")) if output_details is not None else 0
        ),
    )


@final
class SpendLimit:
    """Caps on the tokens (by kind) and on the cost of a fan-out; see the module doc.

    ``prices`` is one `TokenPrice` for every model, or a table by model name (a result's
    ``model`` is looked up exactly, then by the longest name it starts with, so
    "gpt-5.2-2025-12-11" finds "gpt-5.2"). ``max_cost`` needs ``prices``. ``usage`` reads
    a result's usage when the default (a ``usage`` attribute or key) does not fit.
    """

    def __init__(
        self,
        *,
        max_input_tokens: int | None = None,
        max_output_tokens: int | None = None,
        max_cached_tokens: int | None = None,
        max_reasoning_tokens: int | None = None,
        max_total_tokens: int | None = None,
        max_cost: float | None = None,
        prices: TokenPrice | Mapping[str, TokenPrice] | None = None,
        usage: Callable[[object], TokenUsage | None] = usage_of,
    ) -> None:
        if max_cost is not None and prices is None:
            raise ValueError("SpendLimit(max_cost=...) needs prices=TokenPrice(...) to count cost")
        self._caps: dict[str, float] = {
            name: value
            for name, value in (
                ("max_input_tokens", max_input_tokens),
                ("max_output_tokens", max_output_tokens),
                ("max_cached_tokens", max_cached_tokens),
                ("max_reasoning_tokens", max_reasoning_tokens),
                ("max_total_tokens", max_total_tokens),
                ("max_cost", max_cost),
            )
            if value is not None
        }
        self._prices = prices
        self._usage = usage
        self.spent = TokenUsage()
        self.cost = 0.0
        self.reached: str | None = None  # the cap that was reached, once it is

    def _price(self, model: object) -> TokenPrice | None:
        prices = self._prices
        if prices is None or isinstance(prices, TokenPrice):
            return prices
        if isinstance(model, str):
            if model in prices:
                return prices[model]
            matches = [name for name in prices if model.startswith(name)]
            if matches:
                return prices[max(matches, key=len)]
        raise KeyError(f"SpendLimit: no price for model {model!r}; add it to prices=")

    def record(self, result: object) -> bool:
        """Count a result's usage; True when this crossed a cap (the first time)."""
        usage = self._usage(result)
        if usage is None:
            return False
        self.spent = self.spent + usage
        if self._prices is not None:
            price = self._price(_field(result, "model"))
            if price is not None:
                self.cost += price.cost(usage)
        if self.reached is not None:
            return False
        spent = self.spent
        values = {
            "max_input_tokens": spent.input,
            "max_output_tokens": spent.output,
            "max_cached_tokens": spent.cached,
            "max_reasoning_tokens": spent.reasoning,
            "max_total_tokens": spent.total,
            "max_cost": self.cost,
        }
        for name, cap in self._caps.items():
            if values[name] >= cap:
                self.reached = name
                return True
        return False

    def error(self, *, started: bool) -> SpendLimitExceeded:
        assert self.reached is not None
        return SpendLimitExceeded(self.reached, self.spent, self.cost, started=started)
