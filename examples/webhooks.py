"""Verify and unwrap a webhook delivery, offline.

Plays both sides: signs a sample `response.completed` delivery the way OpenAI does
(HMAC-SHA256 over `{id}.{timestamp}.{body}`, key from a `whsec_` secret), then checks it
with `client.webhooks`-style verification and prints the event type. A tampered copy is
rejected. No network, no API key.

    python examples/webhooks.py

In a real handler, pass the raw request body (bytes, before any JSON parsing) and the
request headers to `Webhooks(secret).unwrap(body, headers)`, or to
`client.webhooks.unwrap(...)` with OPENAI_WEBHOOK_SECRET set.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time

from trio_openai import Webhooks, WebhookVerificationError


def sign(body: bytes, *, secret: str, webhook_id: str, timestamp: int) -> dict[str, str]:
    """The headers OpenAI would send with `body` (the sender's side, for this demo)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{signature}",
    }


def main() -> None:
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    body = (
        b'{"id":"evt_abc123","object":"event","type":"response.completed",'
        b'"created_at":1719168000,"data":{"id":"resp_abc123"}}'
    )
    headers = sign(body, secret=secret, webhook_id="wh_demo_1", timestamp=int(time.time()))

    webhooks = Webhooks(secret)
    event = webhooks.unwrap(body, headers)
    kind = event["type"] if isinstance(event, dict) else event.type
    print(f"verified {headers['webhook-id']}: {kind}")

    tampered = body.replace(b"resp_abc123", b"resp_evil99")
    try:
        webhooks.unwrap(tampered, headers)
    except WebhookVerificationError as exc:
        print(f"tampered copy rejected: {type(exc).__name__}: {exc}")
    else:
        raise SystemExit("a tampered body was accepted")


if __name__ == "__main__":
    main()
