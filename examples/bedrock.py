"""OpenAI models on Amazon Bedrock: requests signed with AWS SigV4 (botocore).

Runs with no network: it starts the bundled local server inside this same Trio run and
plays Bedrock there, recomputing every request's SigV4 signature with botocore (as AWS
does) before answering; a request with a wrong secret is refused with 403.

    pip install 'trio_openai[bedrock]'
    python examples/bedrock.py

Against the real service, drop `base_url=` and `credentials=` (the default AWS credential
chain is used) and pick your region:

    bedrock = BedrockAuth(region="us-west-2")
    async with trio_openai.OpenAI(base_url=bedrock.base_url, auth=bedrock) as client:
        ...
"""

from __future__ import annotations

import hmac
from typing import Any

import trio
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import trio_openai
from trio_openai.auth import BedrockAuth, bedrock_base_url
from trio_openai.testing import RecordedRequest, Reply, open_local_server

REGION = "us-west-2"
KEYS = Credentials("AKIDEXAMPLE", "example-secret-key")


def fake_bedrock(request: RecordedRequest) -> Reply:
    """Check the signature as AWS would, then answer like a chat completion."""
    fields = request.headers["authorization"].partition(" ")[2]
    parts = dict(p.strip().split("=", 1) for p in fields.split(","))
    signed = {name: request.headers[name] for name in parts["SignedHeaders"].split(";")}
    url = f"http://{request.headers['host']}{request.path}"
    aws: Any = AWSRequest(method=request.method, url=url, data=request.body, headers=signed)
    aws.context["timestamp"] = request.headers["x-amz-date"]
    signer: Any = SigV4Auth(KEYS, "bedrock", REGION)
    expected: str = signer.signature(signer.string_to_sign(aws, signer.canonical_request(aws)), aws)
    if not hmac.compare_digest(expected, parts["Signature"]):
        print("  bedrock: signature does not match -> 403")
        return Reply.json(
            {"message": "The request signature we calculated does not match"}, status=403
        )
    print(f"  bedrock: signature ok ({len(signed)} headers signed)")
    message = {"role": "assistant", "content": "Hello from Bedrock.", "refusal": None}
    choice = {"index": 0, "finish_reason": "stop", "message": message, "logprobs": None}
    return Reply.json(
        {"id": "c1", "object": "chat.completion", "created": 1, "model": "m", "choices": [choice]}
    )


async def main() -> None:
    print(f"the real endpoint would be {bedrock_base_url(REGION)}")
    async with open_local_server() as server:
        server.script("POST", "/openai/v1/chat/completions", Reply.handler(fake_bedrock))
        for keys in (KEYS, Credentials("AKIDEXAMPLE", "a-wrong-secret")):
            bedrock = BedrockAuth(
                region=REGION, credentials=keys, base_url=f"{server.origin}/openai/v1"
            )
            async with trio_openai.OpenAI(
                base_url=bedrock.base_url, auth=bedrock, max_retries=0
            ) as client:
                try:
                    reply = await client.chat.completions.create(
                        model="openai.gpt-oss-120b",
                        messages=[{"role": "user", "content": "Hello?"}],
                    )
                    print(f"< {reply.choices[0].message.content}")
                except trio_openai.PermissionDeniedError as exc:
                    print(f"refused: {exc.status_code}")


if __name__ == "__main__":
    trio.run(main)
