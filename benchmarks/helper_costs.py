"""Per-event cost of each pure step behind the streaming helpers: ``python -m benchmarks.helper_costs``.

No server, no sockets: the steps a streamed event goes through after the transport, each
timed alone over the benchmark's own payloads (``benchmarks/payloads.py``), in CPU time
(``time.process_time``, best of several repeats, so other load on the machine inflates it
little). It says where a helper's time goes when the transport's share is small (64
events per HTTP chunk), and what a step costs without a profiler's distortion.

- HTTP/1.1: the chunked body decoded by ``_h1codec.ResponseParser`` (each event its own
  HTTP chunk, as the server sends them), one chunk per socket read and 64 per read;
- SSE: `SSEDecoder.feed` over chunks of 64 whole events (what the 64-per-chunk workload
  sends) and over 64 KiB reads cut anywhere;
- JSON: ``orjson.loads`` of each event's data;
- chat state: `ChatCompletionStreamState.handle_chunk` (accumulation and the events it
  returns, the typed chunk left to first access);
- typed chunk: ``CreateChatCompletionStreamResponse`` decode (what ``create(stream=True)``
  and ``client.stream(..., decode=...)`` pay per chunk, and ``ChunkEvent.chunk`` on access);
- Responses event: the generated union decoder (``ResponseStreamEvent``);
- Responses snapshot: `Snapshot.apply` (the helper's accumulation).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import orjson

from benchmarks.payloads import chat_stream_events, responses_stream_events
from trio_openai._h1codec import NEED_DATA, ResponseParser
from trio_openai._sse import SSEDecoder
from trio_openai.lib._chat_state import ChatCompletionStreamState
from trio_openai.lib._responses_snapshot import Snapshot
from trio_openai.types import decoder_for
from trio_openai.types.chat import CreateChatCompletionStreamResponse


def _per_event(fn: Callable[[], object], events: int, repeats: int) -> float:
    """Best CPU time of ``fn`` over ``repeats`` runs, in µs per event."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best / events * 1e6


# Each step drops what it makes at once, as a stream does: results kept in a list would
# charge the cyclic garbage collector's passes over them to the step.


def _feed_all(chunks: list[bytes]) -> Callable[[], object]:
    def run() -> None:
        feed = SSEDecoder().feed
        for chunk in chunks:
            feed(chunk)

    return run


def _chunked_reads(reads: list[bytes]) -> Callable[[], object]:
    """The codec over a chunked body arriving in these reads (events taken as a response
    stream takes them: until the parser needs data)."""

    def run() -> None:
        parser = ResponseParser()
        parser.start("GET")
        parser.receive_data(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        parser.next_event()
        receive, next_event = parser.receive_data, parser.next_event
        for read in reads:
            receive(read)
            while next_event() is not NEED_DATA:
                pass

    return run


def _each(fn: Callable[[Any], object], items: list[Any]) -> Callable[[], object]:
    def run() -> None:
        for item in items:
            fn(item)

    return run


def measure(events: int, repeats: int) -> list[tuple[str, str, float]]:
    chat = chat_stream_events(events)[:-1]  # without [DONE]
    chat_data = [event[6:-2] for event in chat]
    chat_dicts: list[dict[str, Any]] = [orjson.loads(data) for data in chat_data]
    body = b"".join(chat)
    reads = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    batches = [b"".join(chat[i : i + 64]) for i in range(0, len(chat), 64)]
    responses = responses_stream_events(events)[:-1]
    resp_data = [event.split(b"data: ", 1)[1][:-2] for event in responses]
    resp_dicts: list[dict[str, Any]] = [orjson.loads(data) for data in resp_data]
    resp_batches = [b"".join(responses[i : i + 64]) for i in range(0, len(responses), 64)]
    resp_chunks = [b"%x\r\n%b\r\n" % (len(event), event) for event in responses]
    chunk_batches = [b"".join(resp_chunks[i : i + 64]) for i in range(0, len(resp_chunks), 64)]
    decode_event = decoder_for("ResponseStreamEvent")
    decode_chunk = CreateChatCompletionStreamResponse.from_dict

    def chat_state() -> None:
        _each(ChatCompletionStreamState().handle_chunk, chat_dicts)()

    def snapshot() -> None:
        accumulated = Snapshot()
        _each(accumulated.apply, resp_dicts)()
        assert accumulated.response is not None

    n_chat, n_resp = len(chat), len(responses)
    steps: list[tuple[str, str, Callable[[], object], int]] = [
        ("chat", "SSE, 64 events per chunk", _feed_all(batches), n_chat),
        ("chat", "SSE, 64 KiB reads", _feed_all(reads), n_chat),
        ("chat", "JSON (orjson.loads)", _each(orjson.loads, chat_data), n_chat),
        ("chat", "chat state (handle_chunk)", chat_state, n_chat),
        ("chat", "typed chunk decode", _each(decode_chunk, chat_dicts), n_chat),
        ("responses", "HTTP/1.1 chunked, 1 chunk per read", _chunked_reads(resp_chunks), n_resp),
        ("responses", "HTTP/1.1 chunked, 64 per read", _chunked_reads(chunk_batches), n_resp),
        ("responses", "SSE, 64 events per chunk", _feed_all(resp_batches), n_resp),
        ("responses", "JSON (orjson.loads)", _each(orjson.loads, resp_data), n_resp),
        ("responses", "typed event decode", _each(decode_event, resp_dicts), n_resp),
        ("responses", "snapshot (Snapshot.apply)", snapshot, n_resp),
    ]
    return [(kind, step, _per_event(fn, n, repeats)) for kind, step, fn, n in steps]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.helper_costs")
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    print("| stream | step | µs CPU per event |\n|---|---|---|")
    for kind, step, cost in measure(args.events, args.repeats):
        print(f"| {kind} | {step} | {cost:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
