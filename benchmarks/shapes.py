"""The structured-output type every client parses into (a pydantic model: both SDKs take it)."""

from __future__ import annotations

import pydantic


class Story(pydantic.BaseModel):
    title: str
    words: int
    tags: list[str]
