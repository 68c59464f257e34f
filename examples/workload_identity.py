"""Workload identity: a Kubernetes service-account token traded for short-lived OpenAI tokens.

Runs with no network: it writes a fake service-account token to a temporary file, starts
the bundled local server inside this same Trio run and plays both the OpenAI API and the
OAuth token endpoint there (tokens live 6 s here, so you can watch one refresh), then sends
20 concurrent requests and one that meets a revoked token. It prints what happened.

    python examples/workload_identity.py

In a real pod, drop `token_url=` and `path`, and point the client at the real API:

    async with WorkloadIdentity(
        client_id="...", identity_provider_id="idp-123", service_account_id="sa-456",
        provider=K8sServiceAccountTokenProvider(),
    ) as identity, trio_openai.OpenAI(auth=identity) as client:
        ...
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import trio

import trio_openai
from trio_openai.auth import K8sServiceAccountTokenProvider, WorkloadIdentity
from trio_openai.testing import RecordedRequest, Reply, open_local_server


class FakeIssuer:
    """The token endpoint: checks the exchange and issues access-1, access-2, ..."""

    def __init__(self) -> None:
        self.issued = 0
        self.revoked: set[str] = set()

    def exchange(self, request: RecordedRequest) -> Reply:
        form = request.json()
        assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange"
        assert form["subject_token"] == "pod-service-account-jwt"
        self.issued += 1
        print(f"  token endpoint: exchange #{self.issued} for {form['service_account_id']}")
        body = {"access_token": f"access-{self.issued}", "token_type": "Bearer", "expires_in": 6}
        return Reply.json(body, delay=0.05)

    def api(self, request: RecordedRequest) -> Reply:
        token = request.headers["authorization"].removeprefix("Bearer ")
        if token in self.revoked:
            print(f"  API: {token} is revoked -> 401")
            return Reply.error(401, message="token revoked", type="invalid_request_error")
        return Reply.json({"object": "list", "data": [], "token_seen": token})


async def main() -> None:
    issuer = FakeIssuer()
    with tempfile.TemporaryDirectory() as tmp:
        token_file = Path(tmp) / "token"
        token_file.write_text("pod-service-account-jwt\n")
        async with open_local_server() as server:
            server.script("POST", "/oauth/token", Reply.handler(issuer.exchange))
            server.script("GET", "/v1/models", Reply.handler(issuer.api))
            async with (
                WorkloadIdentity(
                    client_id="client-1",
                    identity_provider_id="idp-123",
                    service_account_id="sa-456",
                    provider=K8sServiceAccountTokenProvider(str(token_file)),
                    token_url=f"{server.origin}/oauth/token",
                    refresh_buffer=3,
                ) as identity,
                trio_openai.OpenAI(base_url=server.base_url, auth=identity) as client,
            ):
                print("20 concurrent requests:")
                seen: list[str] = []

                async def one() -> None:
                    seen.append((await client.get("/models"))["token_seen"])

                async with trio.open_nursery() as nursery:
                    for _ in range(20):
                        nursery.start_soon(one)
                print(f"  -> {len(seen)} answers, tokens used: {sorted(set(seen))}")

                print("The token is revoked server-side:")
                issuer.revoked.add(seen[0])
                answer = await client.get("/models")
                print(f"  -> replayed once with {answer['token_seen']}")

                print("3.5 s later (inside the 3 s refresh buffer of a 6 s token):")
                await trio.sleep(3.5)
                answer = await client.get("/models")
                print(f"  -> refreshed ahead of expiry: {answer['token_seen']}")
    print(f"{issuer.issued} exchanges in all.")


if __name__ == "__main__":
    trio.run(main)
