"""Webhook signature verification and unwrap (trio_openai._webhooks).

Expected signatures are computed here with a hand-written HMAC (RFC 2104 over
hashlib.sha256), not with the module under test nor the `hmac` module it uses.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import sys
import types
from typing import Any

import httpx
import pytest
from hypothesis import given, strategies as st

from tests.spec_path import spec_path
from trio_openai import UnknownVariant
from trio_openai._errors import OpenAIError
from trio_openai._webhooks import (
    _EVENT_SCHEMAS,
    InvalidSignatureError,
    InvalidTimestampError,
    MissingHeaderError,
    MissingSecretError,
    TimestampTooNewError,
    TimestampTooOldError,
    Webhooks,
    WebhookVerificationError,
    _typed_decoder,
    unwrap,
    verify_signature,
)

SPEC = spec_path()

NOW = 1_750_000_000
KEY = bytes(range(32))
WHSEC = "whsec_" + base64.b64encode(KEY).decode()
RAW_SECRET = "my-raw-webhook-secret"
BODY = b'{"id":"evt_1","object":"event","type":"batch.completed","created_at":1,"data":{"id":"batch_1"}}'

EVENT_TYPES = (
    "batch.cancelled",
    "batch.completed",
    "batch.expired",
    "batch.failed",
    "eval.run.canceled",
    "eval.run.failed",
    "eval.run.succeeded",
    "fine_tuning.job.cancelled",
    "fine_tuning.job.failed",
    "fine_tuning.job.succeeded",
    "live.call.incoming",
    "realtime.call.incoming",
    "response.cancelled",
    "response.completed",
    "response.failed",
    "response.incomplete",
)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """RFC 2104 HMAC over SHA-256, written out."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key) + message).digest()
    return hashlib.sha256(bytes(b ^ 0x5C for b in key) + inner).digest()


def v1(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> str:
    mac = hmac_sha256(key, f"{webhook_id}.{timestamp}.".encode() + body)
    return "v1," + base64.b64encode(mac).decode()


def signed_headers(
    body: bytes = BODY,
    *,
    key: bytes = KEY,
    webhook_id: str = "msg_1",
    timestamp: int | str = NOW,
) -> dict[str, str]:
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": v1(key, webhook_id, str(timestamp), body),
    }


def test_hand_written_hmac_matches_rfc_4231_case_2() -> None:
    mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?")
    assert mac.hex() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


# --- accepting ------------------------------------------------------------------------------


def test_standard_webhooks_published_vector() -> None:
    # The example from the Standard Webhooks / Svix documentation.
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    verify_signature(
        b'{"test": 2432232314}',
        headers,
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        now=1614265330,
    )


def test_whsec_secret_is_base64_decoded() -> None:
    verify_signature(BODY, signed_headers(), secret=WHSEC, now=NOW)


def test_raw_secret_uses_its_utf8_bytes() -> None:
    headers = signed_headers(key=RAW_SECRET.encode())
    verify_signature(BODY, headers, secret=RAW_SECRET, now=NOW)
    with pytest.raises(InvalidSignatureError):
        verify_signature(BODY, signed_headers(), secret=RAW_SECRET, now=NOW)


def test_non_ascii_raw_secret() -> None:
    secret = "clé-secrète"
    verify_signature(BODY, signed_headers(key=secret.encode()), secret=secret, now=NOW)


def test_any_v1_entry_may_match() -> None:
    good = signed_headers()["webhook-signature"]
    wrong = v1(b"other key", "msg_1", str(NOW), BODY)
    headers = signed_headers() | {"webhook-signature": f"{wrong} v1,AAAA {good} v1,bm9wZQ=="}
    verify_signature(BODY, headers, secret=WHSEC, now=NOW)


def test_other_versions_are_ignored() -> None:
    good = signed_headers()["webhook-signature"]
    bare = good.removeprefix("v1,")
    headers = signed_headers() | {"webhook-signature": f"v0,{bare} v1a,{bare} junk {good}"}
    verify_signature(BODY, headers, secret=WHSEC, now=NOW)
    # The same correct MAC under another version (or no version) does not count.
    for only in (f"v0,{bare}", f"v2,{bare}", bare, f"V1,{bare}", "v1,", "v1"):
        headers = signed_headers() | {"webhook-signature": only}
        with pytest.raises(InvalidSignatureError):
            verify_signature(BODY, headers, secret=WHSEC, now=NOW)


def test_str_and_bytes_bodies_are_equivalent() -> None:
    body = '{"text":"héllo ✓ 🐍"}'
    headers = signed_headers(body.encode())
    verify_signature(body, headers, secret=WHSEC, now=NOW)
    verify_signature(body.encode(), headers, secret=WHSEC, now=NOW)
    verify_signature(bytearray(body.encode()), headers, secret=WHSEC, now=NOW)  # type: ignore[arg-type]


def test_body_bytes_are_signed_as_received_even_if_not_utf8() -> None:
    body = b"\xff\xfe not utf-8 \x80"
    verify_signature(body, signed_headers(body), secret=WHSEC, now=NOW)
    # A str decoded with surrogateescape maps back to the same bytes.
    text = body.decode("utf-8", "surrogateescape")
    verify_signature(text, signed_headers(body), secret=WHSEC, now=NOW)


def test_unencodable_str_body_is_rejected() -> None:
    with pytest.raises(InvalidSignatureError):
        verify_signature("\ud800", signed_headers(), secret=WHSEC, now=NOW)


@pytest.mark.parametrize(
    "make_headers",
    [
        pytest.param(lambda h: h, id="dict"),
        pytest.param(lambda h: {k.upper(): v for k, v in h.items()}, id="upper-case-dict"),
        pytest.param(lambda h: {k.title(): v for k, v in h.items()}, id="title-case-dict"),
        pytest.param(lambda h: list(h.items()), id="pairs"),
        pytest.param(lambda h: iter(list(h.items())), id="iterator"),
        pytest.param(lambda h: [(k.encode(), v.encode()) for k, v in h.items()], id="asgi-bytes"),
        pytest.param(httpx.Headers, id="httpx.Headers"),
    ],
)
def test_header_containers_and_case(make_headers: Any) -> None:
    verify_signature(BODY, make_headers(signed_headers()), secret=WHSEC, now=NOW)


def test_repeated_signature_headers_are_all_considered() -> None:
    good = signed_headers()
    wrong = v1(b"other key", "msg_1", str(NOW), BODY)
    pairs = [
        ("webhook-id", good["webhook-id"]),
        ("webhook-timestamp", good["webhook-timestamp"]),
        ("webhook-signature", wrong),
        ("Webhook-Signature", good["webhook-signature"]),
    ]
    verify_signature(BODY, pairs, secret=WHSEC, now=NOW)
    verify_signature(BODY, httpx.Headers(pairs), secret=WHSEC, now=NOW)


# --- rejecting ------------------------------------------------------------------------------


def test_wrong_secret() -> None:
    other = "whsec_" + base64.b64encode(b"x" * 32).decode()
    with pytest.raises(InvalidSignatureError, match="no v1 signature"):
        verify_signature(BODY, signed_headers(), secret=other, now=NOW)


def test_signature_of_another_body() -> None:
    with pytest.raises(InvalidSignatureError):
        verify_signature(BODY + b" ", signed_headers(), secret=WHSEC, now=NOW)


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_missing_header(header: str, how: str) -> None:
    headers = signed_headers()
    if how == "absent":
        del headers[header]
    else:
        headers[header] = "  "
    with pytest.raises(MissingHeaderError, match=header) as info:
        verify_signature(BODY, headers, secret=WHSEC, now=NOW)
    assert info.value.header == header


@pytest.mark.parametrize(
    "timestamp", ["abc", "", "1.5e9", "1750000000.0", "-1750000000", "+1750000000", "١٢٣", "1_750"]
)
def test_non_integer_timestamp(timestamp: str) -> None:
    headers = signed_headers(timestamp=timestamp or " ")
    expected = MissingHeaderError if not timestamp else InvalidTimestampError
    with pytest.raises(expected):
        verify_signature(BODY, headers, secret=WHSEC, now=NOW)


def test_absurdly_long_timestamp_is_invalid_not_a_crash() -> None:
    headers = signed_headers(timestamp="9" * 10_000)
    with pytest.raises(InvalidTimestampError) as info:
        verify_signature(BODY, headers, secret=WHSEC, now=NOW)
    assert len(str(info.value)) < 200


def test_too_old() -> None:
    headers = signed_headers(timestamp=NOW - 301)
    with pytest.raises(TimestampTooOldError, match="301 s old") as info:
        verify_signature(BODY, headers, secret=WHSEC, now=NOW)
    assert (info.value.timestamp, info.value.now, info.value.tolerance) == (NOW - 301, NOW, 300)


def test_too_new() -> None:
    headers = signed_headers(timestamp=NOW + 301)
    with pytest.raises(TimestampTooNewError, match="301 s in the future"):
        verify_signature(BODY, headers, secret=WHSEC, now=NOW)


@pytest.mark.parametrize("tolerance", [0, 1, 300, 3600])
def test_tolerance_boundary(tolerance: int) -> None:
    for offset in (-tolerance, 0, tolerance):
        headers = signed_headers(timestamp=NOW + offset)
        verify_signature(BODY, headers, secret=WHSEC, tolerance=tolerance, now=NOW)
    with pytest.raises(TimestampTooOldError):
        verify_signature(
            BODY,
            signed_headers(timestamp=NOW - tolerance - 1),
            secret=WHSEC,
            tolerance=tolerance,
            now=NOW,
        )
    with pytest.raises(TimestampTooNewError):
        verify_signature(
            BODY,
            signed_headers(timestamp=NOW + tolerance + 1),
            secret=WHSEC,
            tolerance=tolerance,
            now=NOW,
        )


def test_now_is_read_in_whole_seconds() -> None:
    # Like openai-python's int(time.time()): 300.9 s of age is still within 300.
    headers = signed_headers(timestamp=NOW - 300)
    verify_signature(BODY, headers, secret=WHSEC, now=NOW + 0.9)


def test_default_clock_is_used() -> None:
    with pytest.raises(TimestampTooOldError):
        verify_signature(BODY, signed_headers(timestamp=1), secret=WHSEC)


def test_timestamp_is_checked_even_when_the_signature_is_valid() -> None:
    # A replay of a correctly signed old delivery.
    headers = signed_headers(timestamp=NOW - 86_400)
    with pytest.raises(TimestampTooOldError):
        verify_signature(BODY, headers, secret=WHSEC, now=NOW)
    verify_signature(BODY, headers, secret=WHSEC, now=NOW, tolerance=math.inf)


@pytest.mark.parametrize("secret", [None, ""])
def test_missing_secret(secret: str | None) -> None:
    with pytest.raises(MissingSecretError, match="OPENAI_WEBHOOK_SECRET"):
        verify_signature(BODY, signed_headers(), secret=secret, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(MissingSecretError):
        Webhooks(secret).verify_signature(BODY, signed_headers(), now=NOW)
    with pytest.raises(MissingSecretError):
        Webhooks(secret).unwrap(BODY, signed_headers(), now=NOW)


def test_malformed_whsec_secret() -> None:
    with pytest.raises(WebhookVerificationError, match="not valid base64"):
        verify_signature(BODY, signed_headers(), secret="whsec_abc", now=NOW)


def test_error_hierarchy() -> None:
    for cls in (
        MissingHeaderError,
        InvalidTimestampError,
        TimestampTooOldError,
        TimestampTooNewError,
        InvalidSignatureError,
        MissingSecretError,
    ):
        assert issubclass(cls, WebhookVerificationError)
    assert issubclass(WebhookVerificationError, OpenAIError)
    assert issubclass(WebhookVerificationError, ValueError)  # like openai-python's error


# --- the secret never leaks -----------------------------------------------------------------


def _failures(secret: str) -> list[Exception]:
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    good = signed_headers(key=key)
    cases: list[tuple[bytes, dict[str, str]]] = [
        (BODY, good | {"webhook-signature": "v1,AAAA"}),
        (BODY, good | {"webhook-signature": f"v1,{secret}"}),
        (BODY, good | {"webhook-id": secret, "webhook-signature": "v1,x"}),
        (BODY, {k: v for k, v in good.items() if k != "webhook-id"}),
        (BODY, good | {"webhook-timestamp": "soon"}),
        (BODY, signed_headers(key=key, timestamp=NOW - 1000)),
        (BODY, signed_headers(key=key, timestamp=NOW + 1000)),
        (b"not json", signed_headers(b"not json", key=key)),
    ]
    errors: list[Exception] = []
    for body, headers in cases:
        try:
            unwrap(body, headers, secret=secret, now=NOW)
        except WebhookVerificationError as exc:
            errors.append(exc)
    for bad_secret in ("whsec_" + secret + "!", ""):
        with pytest.raises(WebhookVerificationError) as info:
            verify_signature(BODY, good, secret=bad_secret, now=NOW)
        errors.append(info.value)
    return errors


@pytest.mark.parametrize("secret", [WHSEC, RAW_SECRET])
def test_secret_never_in_messages_or_reprs(secret: str) -> None:
    errors = _failures(secret)
    assert len(errors) == 10
    secret_part = secret.removeprefix("whsec_")
    # Even where a header echoes the secret, messages repeat no header value but the
    # timestamp's, so the secret cannot appear.
    for exc in errors:
        for text in (str(exc), repr(exc), repr(exc.args), repr(vars(exc))):
            assert secret_part not in text
    webhooks = Webhooks(secret)
    assert secret not in repr(webhooks) and secret_part not in repr(webhooks)
    assert "set" in repr(webhooks)
    assert repr(Webhooks(None)) == "<Webhooks secret=unset>"


# --- Hypothesis: any single changed byte fails -------------------------------------------


def _flip(data: bytes, index: int, delta: int) -> bytes:
    i = index % len(data)
    return data[:i] + bytes([(data[i] + delta) % 256]) + data[i + 1 :]


@given(body=st.binary(min_size=1, max_size=300), index=st.integers(0), delta=st.integers(1, 255))
def test_changing_any_body_byte_fails(body: bytes, index: int, delta: int) -> None:
    headers = signed_headers(body)
    verify_signature(body, headers, secret=WHSEC, now=NOW)
    with pytest.raises(InvalidSignatureError):
        verify_signature(_flip(body, index, delta), headers, secret=WHSEC, now=NOW)


_ID_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)


@given(
    webhook_id=st.text(_ID_CHARS, min_size=1, max_size=40),
    index=st.integers(0),
    delta=st.integers(1, 255),
)
def test_changing_any_id_byte_fails(webhook_id: str, index: int, delta: int) -> None:
    headers = signed_headers(webhook_id=webhook_id)
    verify_signature(BODY, headers, secret=WHSEC, now=NOW)
    changed = _flip(webhook_id.encode(), index, delta).decode("latin-1")
    tampered = headers | {"webhook-id": changed}
    with pytest.raises(WebhookVerificationError):
        verify_signature(BODY, tampered, secret=WHSEC, now=NOW)


@given(
    offset=st.integers(-300, 300),
    index=st.integers(0),
    delta=st.integers(1, 255),
    tolerance=st.sampled_from([300.0, math.inf]),
)
def test_changing_any_timestamp_byte_fails(
    offset: int, index: int, delta: int, tolerance: float
) -> None:
    timestamp = str(NOW + offset)
    headers = signed_headers(timestamp=timestamp)
    verify_signature(BODY, headers, secret=WHSEC, now=NOW, tolerance=tolerance)
    changed = _flip(timestamp.encode(), index, delta).decode("latin-1")
    tampered = headers | {"webhook-timestamp": changed}
    with pytest.raises(WebhookVerificationError):
        verify_signature(BODY, tampered, secret=WHSEC, now=NOW, tolerance=tolerance)


@given(index=st.integers(0), delta=st.integers(1, 255))
def test_changing_any_signature_byte_fails(index: int, delta: int) -> None:
    headers = signed_headers()
    sig = headers["webhook-signature"].encode()
    changed = _flip(sig, index, delta).decode("latin-1")
    with pytest.raises(WebhookVerificationError):
        verify_signature(BODY, headers | {"webhook-signature": changed}, secret=WHSEC, now=NOW)


# --- unwrap -----------------------------------------------------------------------------------


def event_body(event_type: str) -> bytes:
    return json.dumps(
        {
            "id": "evt_" + event_type.replace(".", "_"),
            "object": "event",
            "type": event_type,
            "created_at": 1719168000,
            "data": {"id": "obj_123"},
        }
    ).encode()


def test_event_types_match_the_spec() -> None:
    spec = json.loads(SPEC.read_text())
    schemas = spec["components"]["schemas"]
    from_spec: dict[str, str] = {}
    for entry in spec["webhooks"].values():
        ref = entry["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        name = ref.rsplit("/", 1)[-1]
        (event_type,) = schemas[name]["properties"]["type"]["enum"]
        from_spec[event_type] = name
    assert len(from_spec) == 16
    assert sorted(from_spec) == list(EVENT_TYPES)
    assert from_spec == _EVENT_SCHEMAS


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_unwrap_each_event_type(event_type: str) -> None:
    body = event_body(event_type)
    event = unwrap(body, signed_headers(body), secret=WHSEC, now=NOW)
    assert event == json.loads(body)
    assert event["type"] == event_type
    # Through the client-facing class: the event's model.
    typed = Webhooks(WHSEC).unwrap(body, signed_headers(body), now=NOW)
    assert not isinstance(typed, UnknownVariant)
    assert typed.type == event_type
    assert typed.to_dict() == json.loads(body)


def test_unwrap_str_body_and_decode() -> None:
    body = event_body("response.completed").decode()
    headers = signed_headers(body.encode())
    got = unwrap(body, headers, secret=WHSEC, now=NOW, decode=lambda e: (e["type"], e["data"]))
    assert got == ("response.completed", {"id": "obj_123"})


def test_unwrap_keeps_unknown_fields_and_types() -> None:
    body = b'{"type":"brand.new.event","object":"event","extra":[1,2,3]}'
    event = Webhooks(WHSEC).unwrap(body, signed_headers(body), now=NOW)
    assert isinstance(event, UnknownVariant)  # as unions keep kinds newer than the library
    assert event.to_dict() == json.loads(body)
    assert event.type == "brand.new.event"


def test_unwrap_verifies_before_parsing() -> None:
    body = event_body("batch.failed")
    with pytest.raises(InvalidSignatureError):
        unwrap(body, signed_headers(b"something else"), secret=WHSEC, now=NOW)
    with pytest.raises(InvalidSignatureError):
        Webhooks(WHSEC).unwrap(body, signed_headers(b"something else"), now=NOW)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"event"', b"null"])
def test_unwrap_rejects_authentic_non_objects(body: bytes) -> None:
    with pytest.raises(WebhookVerificationError, match="not"):
        unwrap(body, signed_headers(body), secret=WHSEC, now=NOW)


def test_call_secret_overrides_client_secret() -> None:
    body = event_body("eval.run.failed")
    headers = signed_headers(body, key=RAW_SECRET.encode())
    webhooks = Webhooks(WHSEC)
    with pytest.raises(InvalidSignatureError):
        webhooks.verify_signature(body, headers, now=NOW)
    webhooks.verify_signature(body, headers, secret=RAW_SECRET, now=NOW)
    event = Webhooks(None).unwrap(body, headers, secret=RAW_SECRET, now=NOW)
    assert event.type == "eval.run.failed"


@pytest.fixture
def fresh_decoder() -> Any:
    _typed_decoder.cache_clear()
    yield
    _typed_decoder.cache_clear()


@pytest.mark.usefixtures("fresh_decoder")
def test_unwrap_keeps_the_data_without_generated_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "trio_openai.types", None)  # import raises ImportError
    body = event_body("realtime.call.incoming")
    event = Webhooks(WHSEC).unwrap(body, signed_headers(body), now=NOW)
    assert isinstance(event, UnknownVariant)
    assert event.to_dict() == json.loads(body)


class _Model:
    def __init__(self, schema: str, event: dict[str, Any]) -> None:
        self.schema = schema
        self.type = event["type"]


def _fake_types(names: set[str]) -> types.ModuleType:
    module = types.ModuleType("trio_openai.types")

    def decoder_for(name: str) -> Any:
        if name not in names:
            raise KeyError(name)
        return lambda event: _Model(name, event)

    module.decoder_for = decoder_for  # type: ignore[attr-defined]
    return module


@pytest.mark.usefixtures("fresh_decoder")
def test_unwrap_uses_a_generated_union_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "trio_openai.types", _fake_types({"UnwrapWebhookEvent"}))
    body = event_body("batch.expired")
    event = Webhooks(WHSEC).unwrap(body, signed_headers(body), now=NOW)
    assert isinstance(event, _Model)
    assert (event.schema, event.type) == ("UnwrapWebhookEvent", "batch.expired")


@pytest.mark.usefixtures("fresh_decoder")
def test_unwrap_dispatches_on_type_to_generated_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    available = set(_EVENT_SCHEMAS.values()) - {"WebhookLiveCallIncoming"}
    monkeypatch.setitem(sys.modules, "trio_openai.types", _fake_types(available))
    webhooks = Webhooks(WHSEC)
    for event_type in EVENT_TYPES:
        body = event_body(event_type)
        event = webhooks.unwrap(body, signed_headers(body), now=NOW)
        if event_type == "live.call.incoming":  # no generated class: kept whole
            assert isinstance(event, UnknownVariant)
            assert event.to_dict() == json.loads(body)
        else:
            assert isinstance(event, _Model)
            assert (event.schema, event.type) == (_EVENT_SCHEMAS[event_type], event_type)
    body = b'{"type":"future.event","id":"evt_1"}'
    unknown = webhooks.unwrap(body, signed_headers(body), now=NOW)
    assert isinstance(unknown, UnknownVariant)
    assert unknown.to_dict() == json.loads(body)
