"""A Realtime session on Azure OpenAI: the deployment and api-version in the URL, the
Azure credential in the handshake.

Runs with no network: it starts the bundled scripted WebSocket server inside this same Trio
run and points an `AzureOpenAI` client at it as if it were the Azure resource, then prints
what the server saw.

    python examples/azure_realtime.py
"""

from __future__ import annotations

import trio

from trio_openai import AzureOpenAI
from trio_openai.testing import open_ws_server


async def main() -> None:
    async with open_ws_server() as server:
        async with (
            AzureOpenAI(
                azure_endpoint=server.origin,  # https://my-resource.openai.azure.com
                api_version="2025-08-28",
                api_key="azure-key",  # or azure_ad_token_provider=...
            ) as azure,
            azure.realtime.connect(model="my-realtime-deployment") as conn,
        ):
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await conn.conversation.item.create(
                item={
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "hello Azure"}],
                }
            )
            await conn.response.create()
            async for event in conn:
                if event.type == "response.output_text.delta":
                    print(event.delta, end="", flush=True)
                elif event.type == "response.done":
                    print()
                    break
        seen = server.sessions[0]
        print(f"path: {seen.path}")
        print(f"query: {seen.query}")
        print(f"credential header: api-key={'api-key' in seen.headers}")


if __name__ == "__main__":
    trio.run(main)
