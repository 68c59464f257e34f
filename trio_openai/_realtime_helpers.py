"""The typed helpers of a Realtime session: ``conn.session.update(...)``,
``conn.response.create(...)``, ``conn.input_audio_buffer.append(...)``,
``conn.conversation.item.create(...)``, ``conn.output_audio_buffer.clear()``...

Each fills in the client event's ``type``, leaves out the arguments not given, and sends it
with `RealtimeConnection.send`. Names and keywords follow openai-python.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, final

from ._types import Omit, omit

if TYPE_CHECKING:
    from ._realtime import RealtimeConnection

__all__ = [
    "RealtimeConversationItemResource",
    "RealtimeConversationResource",
    "RealtimeInputAudioBufferResource",
    "RealtimeOutputAudioBufferResource",
    "RealtimeResponseResource",
    "RealtimeSessionResource",
]


class _Resource:
    __slots__ = ("_connection",)

    def __init__(self, connection: RealtimeConnection) -> None:
        self._connection = connection

    async def _send(self, kind: str, **fields: object) -> None:
        event = {"type": kind, **{k: v for k, v in fields.items() if not isinstance(v, Omit)}}
        await self._connection.send(event)


@final
class RealtimeSessionResource(_Resource):
    async def update(self, *, session: object, event_id: str | Omit = omit) -> None:
        """Send ``session.update``; the server answers ``session.updated``."""
        await self._send("session.update", session=session, event_id=event_id)


@final
class RealtimeResponseResource(_Resource):
    async def create(self, *, response: object = omit, event_id: str | Omit = omit) -> None:
        """Send ``response.create``: start model inference (``response`` overrides the
        session's configuration for this response only)."""
        await self._send("response.create", response=response, event_id=event_id)

    async def cancel(self, *, response_id: str | Omit = omit, event_id: str | Omit = omit) -> None:
        """Send ``response.cancel``; with no response in progress the server answers with an
        ``error`` event (raised as `RealtimeError`), and the session is unaffected."""
        await self._send("response.cancel", response_id=response_id, event_id=event_id)


@final
class RealtimeInputAudioBufferResource(_Resource):
    async def append(self, *, audio: str | bytes, event_id: str | Omit = omit) -> None:
        """Send ``input_audio_buffer.append``. ``audio`` is base64 text, or raw bytes that
        are base64-encoded here."""
        if isinstance(audio, (bytes, bytearray, memoryview)):
            audio = base64.b64encode(audio).decode("ascii")
        await self._send("input_audio_buffer.append", audio=audio, event_id=event_id)

    async def commit(self, *, event_id: str | Omit = omit) -> None:
        """Send ``input_audio_buffer.commit``: turn the buffer into a user message item."""
        await self._send("input_audio_buffer.commit", event_id=event_id)

    async def clear(self, *, event_id: str | Omit = omit) -> None:
        """Send ``input_audio_buffer.clear``; the server answers ``input_audio_buffer.cleared``."""
        await self._send("input_audio_buffer.clear", event_id=event_id)


@final
class RealtimeConversationItemResource(_Resource):
    async def create(
        self,
        *,
        item: object,
        previous_item_id: str | Omit = omit,
        event_id: str | Omit = omit,
    ) -> None:
        """Send ``conversation.item.create`` (a message, function call or its output)."""
        await self._send(
            "conversation.item.create",
            item=item,
            previous_item_id=previous_item_id,
            event_id=event_id,
        )

    async def delete(self, *, item_id: str, event_id: str | Omit = omit) -> None:
        """Send ``conversation.item.delete``."""
        await self._send("conversation.item.delete", item_id=item_id, event_id=event_id)

    async def truncate(
        self,
        *,
        item_id: str,
        content_index: int,
        audio_end_ms: int,
        event_id: str | Omit = omit,
    ) -> None:
        """Send ``conversation.item.truncate``: cut an assistant message's audio (and its
        transcript) at ``audio_end_ms``, e.g. when the user interrupts playback."""
        await self._send(
            "conversation.item.truncate",
            item_id=item_id,
            content_index=content_index,
            audio_end_ms=audio_end_ms,
            event_id=event_id,
        )

    async def retrieve(self, *, item_id: str, event_id: str | Omit = omit) -> None:
        """Send ``conversation.item.retrieve``; the server answers
        ``conversation.item.retrieved``."""
        await self._send("conversation.item.retrieve", item_id=item_id, event_id=event_id)


@final
class RealtimeConversationResource(_Resource):
    __slots__ = ("item",)

    def __init__(self, connection: RealtimeConnection) -> None:
        super().__init__(connection)
        self.item = RealtimeConversationItemResource(connection)


@final
class RealtimeOutputAudioBufferResource(_Resource):
    async def clear(self, *, event_id: str | Omit = omit) -> None:
        """Send ``output_audio_buffer.clear`` (WebRTC/SIP sessions): cut off the audio."""
        await self._send("output_audio_buffer.clear", event_id=event_id)
