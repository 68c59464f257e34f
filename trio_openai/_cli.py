"""The command line: stream a reply to the terminal.

    python -m trio_openai responses "Write a haiku"   [--model M] [--base-url URL]
    python -m trio_openai chat "Write a haiku"        [--model M] [--base-url URL]
    python -m trio_openai batch run requests.jsonl    [--endpoint /v1/responses] [--out F]

Without OPENAI_API_KEY (and no --base-url), the bundled local echo server is started in this
process so the command works offline. Ctrl-C stops the stream cleanly: the connection is
released by the stream's ``async with`` as the cancellation unwinds.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import AsyncExitStack
from typing import Any

import trio

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trio_openai", description=(__doc__ or "trio_openai").splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("responses", "stream a reply from the Responses API"),
        ("chat", "stream a chat completion"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("prompt", nargs="+")
        cmd.add_argument(
            "--model", default=None, help="model id (default: gpt-5.2, or echo-1 offline)"
        )
        cmd.add_argument(
            "--base-url", default=None, help="API base URL (default: OPENAI_BASE_URL or OpenAI)"
        )
    from ._cli_batch import add_batch_parser

    add_batch_parser(sub)
    return parser


async def _stream_responses(client: Any, model: str, prompt: str, out: Any) -> None:
    from .lib._responses_stream import ResponseStreamManager

    async with ResponseStreamManager(client, {"model": model, "input": prompt}) as stream:
        async for delta in stream.text_deltas():
            out.write(delta)
            out.flush()
    out.write("\n")


async def _stream_chat(client: Any, model: str, prompt: str, out: Any) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": prompt}], "stream": True}
    async with client.stream("POST", "/chat/completions", body=body) as stream:
        async for chunk in stream:
            choices: list[Any] = chunk.get("choices") or []
            for choice in choices:
                delta: dict[str, Any] = choice.get("delta") or {}
                text = delta.get("content")
                if text:
                    out.write(text)
                    out.flush()
    out.write("\n")


async def run(argv: list[str], out: Any = sys.stdout) -> int:
    args = _parser().parse_args(argv)
    if args.command == "batch":
        from ._cli_batch import run_batch_command

        return await run_batch_command(args)
    from ._client import OpenAI

    prompt = " ".join(args.prompt)
    async with AsyncExitStack() as stack:
        offline = (
            not os.environ.get("OPENAI_API_KEY")
            and args.base_url is None
            and not os.environ.get("OPENAI_BASE_URL")
        )
        if offline:
            from .testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            server.echo_pace = 0.03
            client = OpenAI(api_key="local", base_url=server.base_url)
            print(
                f"(no OPENAI_API_KEY: the local echo server at {server.base_url})", file=sys.stderr
            )
        else:
            client = OpenAI(
                base_url=args.base_url, api_key=os.environ.get("OPENAI_API_KEY") or "none"
            )
        await stack.enter_async_context(client)
        model = args.model or ("echo-1" if offline else "gpt-5.2")
        if args.command == "responses":
            await _stream_responses(client, model, prompt, out)
        else:
            await _stream_chat(client, model, prompt, out)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return trio.run(run, sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        print("\n(interrupted)", file=sys.stderr)
        return 130
    except Exception as exc:  # a typed library error: print it, not a traceback
        from ._errors import OpenAIError

        if isinstance(exc, OpenAIError):
            print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        raise
