"""The rate-limit budget as the client models it: one dimension (requests or tokens). Pure.

The model is fed two things: this client's sends (sequence number, send time, estimated
cost) and the ``x-ratelimit-*`` headers of the replies, each pinned to the send time of its
own request. From them it answers "how much budget is left now" and "how long until this
cost fits".

Server order. A header says what was left when the server *received* its request; the
requests the server had not received yet are the ones sent after it. Replies come back in
any order (slow replies, many connections), so the base is the header latest in the
server's order: sent latest, and among requests sent within ``jitter`` of each other the one
that left the least (the server counts down). The requests still to subtract are those
not yet answered and sent after the base, or within ``jitter`` before it (they may have
arrived after it): counting one twice costs a moment of budget, missing one costs a 429.
"""

from __future__ import annotations

import math
from typing import Final, Literal

__all__ = ["Budget", "Refill"]

Refill = Literal["auto", "continuous", "window"]

_VOTES: Final = 3  # how much evidence the refill model keeps, in headers


class _Sent:
    __slots__ = ("answered", "at", "cost", "refused", "seq")

    def __init__(self, seq: int, at: float, cost: float) -> None:
        self.seq = seq
        self.at = at
        self.cost = cost
        self.answered = False
        self.refused = False  # answered with a 429: the server did not charge it


class Budget:
    """One dimension of the budget: its limit, our sends, the header latest in server order."""

    def __init__(
        self, configured: float | None, period: float, refill: Refill, *, corrects: bool
    ) -> None:
        self.configured = configured
        self.limit = configured
        self.period = period
        self.refill: Refill = refill
        self.votes = 0  # > 0: the headers agree with continuous refill
        self.corrects = corrects
        self.factor = 1.0  # the server's count / our estimate, learnt from the headers
        self._spent_total = 0.0  # our estimate of everything sent and not refused
        # The last base before the current burst: (sent at, left, our total sent by then).
        self.prev: tuple[float, float, float] | None = None
        self.uncertain = 0.0
        # Continuous refill: the header the next sample is measured from, as
        # (sent at, left, our total sent by then); None: start a new one.
        self._anchor: tuple[float, float, float] | None = None
        # Fixed windows: per window, our accepted estimate and the least the server left.
        self._origin: float | None = None  # start of the first window known
        self._window_of: dict[int, tuple[int, float]] = {}  # seq -> (window, cost) until answered
        self._tallies: dict[int, list[float]] = {}  # index -> [ours, least left, open]
        self._latest_window = -1
        self.jitter = min(0.02 * period, 0.25)  # sends closer than this may arrive swapped
        self.margin = 0.001 + min(0.005 * period, 0.25)  # a window's end is rounded
        self.sent: dict[int, _Sent] = {}  # in send order; pruned at each new base
        self.pending = 0.0  # cost of the sends the base does not count (raw estimate)
        self.base_seq = -1  # -1: no header yet
        self.base_at = 0.0
        self.base_remaining = 0.0
        self.window_end = -math.inf
        self.limit_at = -math.inf  # send time of the header the limit comes from
        self.base_limit = configured

    # -- the model ---------------------------------------------------------------------

    def continuous(self) -> bool:
        return self.refill == "continuous" or (self.refill == "auto" and self.votes > 0)

    def _rate(self) -> float:
        return (self.limit or 0.0) / self.period if self.continuous() else 0.0

    def _sent_since(self, start: float) -> float:
        """Fixed windows, after the base's window ended: what the new window already holds.

        Sends since it began, and also the unanswered ones sent just before: the end is
        known only to the send latency of the requests that reported it, so a request
        sent a moment early may still land in the new window."""
        total = 0.0
        for sent in self.sent.values():
            if not sent.answered or (sent.at >= start - 1e-6 and not sent.refused):
                total += sent.cost
        return total

    def _forget_old(self, now: float) -> None:
        """Before any header: a sliding log of our own sends over the last period."""
        horizon = now - self.period
        while self.sent:
            first = next(iter(self.sent.values()))
            if first.at > horizon:
                break
            del self.sent[first.seq]
            self.pending -= first.cost
        if not self.sent:
            self.pending = 0.0  # no float drift across millions of sends

    def available(self, now: float) -> float:
        """The budget left now, in this dimension's units (may be negative)."""
        limit = self.limit
        if limit is None:
            return math.inf
        if self.base_seq < 0:
            self._forget_old(now)
            return limit - self.pending * self.factor
        pending = self.pending * self.factor
        if self.continuous():
            rate = self._rate()
            level = min(limit, self.base_remaining + (now - self.base_at) * rate) - pending
            if self.prev is None:
                return level
            # Requests sent together (a burst) reach the server in any order, so the base
            # counts some of those still unanswered and the level above counts them twice.
            # The header before the burst, minus everything sent since, counts each once
            # (but not other clients since): take it, within what the base allows.
            prev_at, prev_left, prev_spent = self.prev
            before = min(limit, prev_left + (now - prev_at) * rate)
            before -= (self._spent_total - prev_spent) * self.factor
            return max(level, min(before, level + self.uncertain * self.factor))
        end = self.window_end + self.margin
        if now < end:
            return self.base_remaining - pending
        start = end + math.floor((now - end) / self.period) * self.period
        return limit - self._sent_since(start) * self.factor

    def delay(self, cost: float, now: float) -> float:
        """Seconds until ``cost`` may fit (0: it fits now). A cost larger than the whole
        budget goes when the budget is full."""
        limit = self.limit
        if limit is None:
            return 0.0
        need = min(cost * self.factor, limit)
        if self.base_seq >= 0 and self.continuous():
            # A reserve, not a slower rate: the base's refill is counted from its send
            # time, but the server started from its arrival, a few ms (of scheduling and
            # network) later; the server's sums round too.
            need += 1e-3 * limit + 0.02 * self._rate()
        deficit = need - self.available(now)
        if deficit <= 1e-9:
            return 0.0
        if self.base_seq < 0:  # sliding log: until enough of our own sends leave it
            freed = 0.0
            for sent in self.sent.values():
                freed += sent.cost * self.factor
                if freed >= deficit - 1e-9:
                    return max(sent.at + self.period - now, 0.001)
            return self.period
        if self.continuous():
            return max(deficit / self._rate(), 0.001)
        end = self.window_end + self.margin
        if now < end:
            return end - now
        return self.period - (now - end) % self.period

    def spend(self, seq: int, now: float, cost: float) -> None:
        if self.base_seq < 0 and self.prev is None and self.limit is not None:
            self.prev = (now, self.limit, self._spent_total)  # a full budget at the start
        self.sent[seq] = _Sent(seq, now, cost)
        self.pending += cost
        self._spent_total += cost
        if self.corrects and self._origin is not None and not self.continuous():
            index = math.floor((now - self._origin) / self.period + 1e-6)
            self._window_of[seq] = (index, cost)
            tally = self._tallies.setdefault(index, [0.0, math.inf, 0.0])
            tally[2] += 1
            if index > self._latest_window:
                self._latest_window = index
                self._finish_windows()

    def _tally(self, seq: int, accepted: bool, left: float | None) -> None:
        """Fixed windows: once every request we sent in a window is answered, the server's
        count for the window (limit - least left) against our estimate gives the factor.
        (Inside a window the requests go out together, so intervals between headers say
        nothing; a whole window does.)"""
        index, cost = self._window_of.pop(seq, (-1, 0.0))
        if (tally := self._tallies.get(index)) is None:
            return
        tally[2] -= 1
        if accepted and left is not None:
            tally[0] += cost
            tally[1] = min(tally[1], left)
        self._finish_windows()

    def _finish_windows(self) -> None:
        for index in sorted(self._tallies):
            if index >= self._latest_window:
                break
            ours, least, still_open = self._tallies[index]
            if still_open > 0 and index >= self._latest_window - 8:
                continue  # answers still to come (older ones never will: errors, cancels)
            del self._tallies[index]
            if still_open > 0:  # forget its unanswered sends too
                for seq in [s for s, (i, _) in self._window_of.items() if i == index]:
                    del self._window_of[seq]
            elif self.limit is not None and math.isfinite(least):
                self._learn(self.limit - least, ours)

    def _learn(self, charged: float, ours: float) -> None:
        """One measurement of the server's count against ours, over at least half a budget."""
        assert self.limit is not None
        if ours < 0.5 * self.limit:
            return
        ratio = min(max(charged / ours, 0.5), 2.0)
        self.factor = 0.5 * self.factor + 0.5 * ratio
        if abs(self.factor - 1.0) < 0.03:
            self.factor = 1.0  # within the noise of the send times: count as we do

    def _counted_by_base(self, sent: _Sent) -> bool:
        return sent.answered or (sent.seq < self.base_seq and sent.at < self.base_at - self.jitter)

    def _vote(self, limit: float, remaining: float, reset: float) -> None:
        if remaining >= limit:
            return
        predicted = (limit - remaining) * self.period / limit  # continuous refill
        if predicted > 0.8 * self.period:
            return  # a nearly empty bucket looks like a window just begun: no evidence
        # `remaining` is rounded down to a unit, which moves the prediction by up to one
        # unit's refill time.
        slack = 0.03 * max(reset, predicted) + 0.003 + self.period / limit
        agrees = abs(reset - predicted) <= slack
        self.votes = max(-_VOTES, min(_VOTES, self.votes + (1 if agrees else -1)))

    def _spent_by(self, at: float) -> float:
        return self._spent_total - sum(s.cost for s in self.sent.values() if s.at > at)

    def _correct(self, at: float, left: float) -> None:
        """Continuous refill: what the server charged since the anchor header (its level
        then, plus the refill, minus its level now) against what we sent since. Measured
        over half a budget or more, so that the send times' jitter (a millisecond is
        ``limit / period / 1000`` of refill) stays small; a bucket that may have been full
        in between (refill wasted, unknown) restarts the measurement."""
        assert self.limit is not None
        rate = self._rate()
        if self.base_remaining + (at - self.base_at) * rate >= self.limit:
            self._anchor = None
        if self._anchor is None:
            self._anchor = (at, left, self._spent_by(at))
            return
        anchor_at, anchor_left, anchor_spent = self._anchor
        ours = self._spent_by(at) - anchor_spent
        if ours >= 0.5 * self.limit:
            self._learn(anchor_left + (at - anchor_at) * rate - left, ours)
            self._anchor = (at, left, self._spent_by(at))

    def _is_later(self, at: float, remaining: float, window_end: float) -> bool:
        """Whether a header is later in the server's order than the base."""
        if self.base_seq < 0:
            return True
        if not self.continuous() and abs(window_end - self.window_end) >= self.period / 2:
            return window_end > self.window_end
        if abs(at - self.base_at) > self.jitter:
            return at > self.base_at
        # Sent together: the server counts down, so the one that left less came later.
        rate = self._rate()
        level, base_level = remaining - at * rate, self.base_remaining - self.base_at * rate
        return level < base_level or (level == base_level and at > self.base_at)

    def observe(
        self,
        seq: int,
        at: float,
        *,
        limit: int | None,
        remaining: int | None,
        reset: float | None,
        accepted: bool = True,
    ) -> None:
        """Take the header of request ``seq`` (sent at ``at``); ``accepted`` is False for
        a 429 (the server did not charge it)."""
        sent = self.sent.get(seq)
        if sent is not None and not sent.answered:
            if self.base_seq >= 0 and not self._counted_by_base(sent):
                self.pending -= sent.cost
            if sent.seq < self.base_seq and sent.at >= self.base_at - self.jitter:
                self.uncertain -= sent.cost
            sent.answered = True  # before any header, the sliding log keeps counting it
            sent.refused = not accepted
            if not accepted:
                self._spent_total -= sent.cost
        if remaining is None:
            self._window_of.pop(seq, None)
            return
        header_limit = float(limit) if limit is not None else self.limit
        if header_limit is None:
            header_limit = float(remaining)
        # A configured budget below the account's is a share of it: what the account has
        # used counts against the share.
        own = header_limit if self.configured is None else min(self.configured, header_limit)
        left = float(remaining) - (header_limit - own)
        if reset is not None and self.refill == "auto":
            self._vote(header_limit, float(remaining), reset)
        if at >= self.limit_at:  # the limit itself follows the latest header sent
            self.limit_at = at
            if own != self.limit and self.base_seq >= 0:
                self.base_remaining = min(self.base_remaining, left)  # a cut takes effect now
                self._anchor = None
            self.limit = own
        end = at + reset if reset is not None else self.window_end
        if self.corrects:
            self._tally(seq, accepted, left)
            if self._origin is None and reset is not None and not self.continuous():
                self._origin = end + self.margin - self.period
        if not self._is_later(at, left, end):
            if reset is not None and abs(end - self.window_end) < self.period / 2:
                self.window_end = max(self.window_end, end)  # the closest bound of the end
            return
        same_window = abs(end - self.window_end) < self.period / 2
        if self.corrects and self.base_seq >= 0 and own == self.base_limit and self.continuous():
            self._correct(at, left)
        self.window_end = max(self.window_end, end) if same_window else end
        self.base_limit = own
        if self.base_seq >= 0 and at - self.base_at > self.jitter:
            self.prev = (self.base_at, self.base_remaining, self._spent_by(self.base_at))
        self.base_seq, self.base_at, self.base_remaining = seq, at, left
        self._rebase()

    def _rebase(self) -> None:
        """Drop the sends the new base counts; sum those it does not."""
        for sent in list(self.sent.values()):
            if sent.at >= self.base_at - self.jitter:
                break
            if sent.seq < self.base_seq or sent.answered:
                del self.sent[sent.seq]
        self.pending = sum(s.cost for s in self.sent.values() if not self._counted_by_base(s))
        self.uncertain = sum(
            s.cost for s in self.sent.values() if not s.answered and s.seq < self.base_seq
        )  # sent within the jitter before the base, unanswered: counted or not, unknown
