"""Azure OpenAI: deployment routing, the api-version parameter and an Entra ID token provider.

With AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION and a credential (AZURE_OPENAI_API_KEY or
AZURE_OPENAI_AD_TOKEN) set, this asks your Azure resource, using the deployment named by
AZURE_OPENAI_DEPLOYMENT. Otherwise it starts the bundled local server inside this same Trio
run, plays Azure there, and prints the requests the client sent: no network needed.

    python examples/azure.py "Say hello"
"""

from __future__ import annotations

import os
import sys
from contextlib import AsyncExitStack

import trio

from trio_openai.azure import AzureOpenAI
from trio_openai.testing import LocalServer, RecordedRequest, Reply, open_local_server


def fake_azure_chat(request: RecordedRequest) -> Reply:
    """What Azure answers on /openai/deployments/{name}/chat/completions."""
    deployment = request.path.split("/")[3]
    question = request.json()["messages"][-1]["content"]
    message = {"role": "assistant", "content": f"[{deployment}] you said: {question}"}
    return Reply.json({"object": "chat.completion", "choices": [{"index": 0, "message": message}]})


async def local_client(stack: AsyncExitStack) -> tuple[AzureOpenAI, str, LocalServer]:
    server = await stack.enter_async_context(open_local_server())
    deployment = "gpt-4o-mini-prod"
    server.script(
        "POST", f"/openai/deployments/{deployment}/chat/completions", Reply.handler(fake_azure_chat)
    )
    server.script("GET", "/openai/models", Reply.json({"object": "list", "data": []}))
    issued = 0

    async def entra_token() -> str:
        # Stands in for azure-identity; called before every attempt, so it may refresh.
        nonlocal issued
        issued += 1
        await trio.lowlevel.checkpoint()
        return f"entra-token-{issued}"

    client = AzureOpenAI(
        azure_endpoint=server.origin,  # as https://<resource>.openai.azure.com
        api_version="2024-10-21",
        azure_ad_token_provider=entra_token,
    )
    print(f"(no Azure configuration: playing Azure on the local server at {server.origin})")
    return client, deployment, server


async def main(prompt: str) -> None:
    async with AsyncExitStack() as stack:
        server: LocalServer | None = None
        if os.environ.get("AZURE_OPENAI_ENDPOINT") and os.environ.get("OPENAI_API_VERSION"):
            client = AzureOpenAI()
            deployment = os.environ.get("AZURE_OPENAI_DEPLOYMENT", "gpt-4o-mini")
        else:
            client, deployment, server = await local_client(stack)
        await stack.enter_async_context(client)

        body = {"model": deployment, "messages": [{"role": "user", "content": prompt}]}
        reply = await client.post("/chat/completions", body=body)
        print(reply["choices"][0]["message"]["content"])
        await client.get("/models")  # not a deployment route: /openai/models

        if server is not None:
            print("\nWhat the client sent:")
            for request in server.requests:
                version = request.query["api-version"][0]
                auth = request.headers["authorization"]
                print(f"  {request.method} {request.path}?api-version={version}  ({auth})")


if __name__ == "__main__":
    trio.run(main, " ".join(sys.argv[1:]) or "Hello from Trio!")
