"""OpenAI models on Google Vertex AI: google-auth access tokens, refreshed off the event loop.

Runs with no network: it starts the bundled local server inside this same Trio run and
plays both Google's OAuth token endpoint and Vertex there. google-auth is synchronous, so
its refresh runs in a worker thread; ten concurrent requests cause one refresh, and a
revoked token is refreshed and the request replayed once.

    pip install 'trio_openai[vertex]'
    python examples/vertex.py

Against the real service, drop `credentials=` and `base_url=` (Application Default
Credentials are used):

    vertex = VertexAuth(project="my-project", location="us-central1")
    async with trio_openai.OpenAI(base_url=vertex.base_url, auth=vertex) as client:
        ...
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import trio
from google.oauth2.credentials import Credentials

import trio_openai
from trio_openai.auth import VertexAuth, vertex_base_url
from trio_openai.testing import RecordedRequest, Reply, open_local_server

PATH = "/v1/projects/demo/locations/us-central1/publishers/openai/v1/chat/completions"


class FakeGoogle:
    def __init__(self) -> None:
        self.issued: list[str] = []
        self.revoked: set[str] = set()

    def token(self, request: RecordedRequest) -> Reply:
        form = dict(parse_qsl(request.body.decode()))
        assert form["grant_type"] == "refresh_token"
        self.issued.append(f"ya29.token-{len(self.issued) + 1}")
        print(f"  oauth: issued {self.issued[-1]}")
        return Reply.json({"access_token": self.issued[-1], "expires_in": 3600})

    def vertex(self, request: RecordedRequest) -> Reply:
        token = request.headers["authorization"].removeprefix("Bearer ")
        if token not in self.issued or token in self.revoked:
            print(f"  vertex: {token} refused -> 401")
            return Reply.error(401, message="invalid token", type="invalid_request_error")
        message = {"role": "assistant", "content": f"ok ({token})", "refusal": None}
        choice = {"index": 0, "finish_reason": "stop", "message": message, "logprobs": None}
        return Reply.json(
            {
                "id": "c1",
                "object": "chat.completion",
                "created": 1,
                "model": "m",
                "choices": [choice],
            }
        )


async def main() -> None:
    print(f"the real endpoint would be {vertex_base_url('demo', 'us-central1')}")
    google = FakeGoogle()
    async with open_local_server() as server:
        server.script("POST", "/token", Reply.handler(google.token))
        server.script("POST", PATH, Reply.handler(google.vertex))
        credentials = Credentials(
            token=None,
            refresh_token="demo-refresh-token",
            token_uri=f"{server.origin}/token",
            client_id="demo-client",
            client_secret="demo-secret",
        )
        vertex = VertexAuth(
            project="demo",
            location="us-central1",
            credentials=credentials,
            base_url=server.origin + PATH.removesuffix("/chat/completions"),
        )
        async with trio_openai.OpenAI(base_url=vertex.base_url, auth=vertex) as client:
            answers: list[str] = []

            async def ask() -> None:
                reply = await client.chat.completions.create(
                    model="openai/gpt-oss-120b-maas",
                    messages=[{"role": "user", "content": "Hello?"}],
                )
                answers.append(str(reply.choices[0].message.content))

            async with trio.open_nursery() as nursery:
                for _ in range(10):
                    nursery.start_soon(ask)
            print(f"10 concurrent requests: {sorted(set(answers))}, refreshes: {vertex.refreshes}")
            google.revoked.add("ya29.token-1")
            await ask()
            print(f"after a revoked token: {answers[-1]}, refreshes: {vertex.refreshes}")


if __name__ == "__main__":
    trio.run(main)
