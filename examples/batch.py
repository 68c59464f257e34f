"""Many Responses requests through the Batch API, with progress and results in input order.

With OPENAI_API_KEY set, this sends a real batch (model from OPENAI_MODEL, default gpt-5.2;
a real batch may take minutes to hours). Without a key, it starts the bundled local server,
whose in-memory Batch API runs each request through the echo model in about a second.

    python examples/batch.py
"""

from __future__ import annotations

import os
import sys
from contextlib import AsyncExitStack

import trio

import trio_openai
from trio_openai.lib import BatchProgress, run_batch

QUESTIONS = [f"What is {n} squared?" for n in range(1, 13)]


def show_progress(progress: BatchProgress) -> None:
    # A program that must survive a crash would save progress.resume_ids here, for
    # resume_batch(client, resume_ids, requests) on its next start.
    states = " ".join(f"{s.batch_id or '-'}:{s.status}" for s in progress.batches)
    done = progress.completed + progress.failed
    print(f"\r{done}/{progress.total} done  {states}", end="", file=sys.stderr, flush=True)


async def main() -> None:
    async with AsyncExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = trio_openai.OpenAI()
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
            poll_interval = 30.0
        else:
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            server.batches.step_time = 0.2  # seconds per status change
            server.batches.poll_after_ms = 100  # the server tells the client when to poll
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            model = "echo-1"
            poll_interval = 0.1
            print(f"(no OPENAI_API_KEY: the local server's Batch API at {server.base_url})")
        await stack.enter_async_context(client)

        requests = [{"model": model, "input": question} for question in QUESTIONS]
        # At most 5 requests per batch: three batches, run at the same time.
        results = await run_batch(
            client,
            requests,
            max_per_batch=5,
            poll_interval=poll_interval,
            on_progress=show_progress,
            metadata={"example": "batch.py"},
        )
        print(file=sys.stderr)

        for question, result in zip(QUESTIONS, results, strict=True):
            if result.ok:
                text = result.body["output"][-1]["content"][0]["text"]
                print(f"{question} -> {text}")
            else:
                print(f"{question} -> failed: {result.error!r}")


if __name__ == "__main__":
    trio.run(main)
