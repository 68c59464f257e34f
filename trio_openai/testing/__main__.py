"""Run the local test server until Ctrl-C (or SIGTERM): `python -m trio_openai.testing [--host H] [--port N]`.

Prints the server's base URL on one line first, so a script can read it from stdout.
"""

from __future__ import annotations

import argparse
import signal
import sys

import trio

from . import open_local_server


async def _serve(host: str, port: int, echo_pace: float) -> None:
    # Signals are received here, not raised as KeyboardInterrupt inside some connection's
    # task, so Ctrl-C (or a CI runner's SIGTERM) ends the server cleanly.
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with open_local_server(host=host, port=port) as server:
            server.echo_pace = echo_pace
            print(server.base_url, flush=True)
            async for _ in signals:
                break


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trio_openai.testing",
        description="Run trio_openai's local OpenAI-compatible test server until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    parser.add_argument(
        "--echo-pace", type=float, default=0.0, help="seconds between streamed echo events"
    )
    args = parser.parse_args(argv)
    trio.run(_serve, args.host, args.port, args.echo_pace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
