"""The errors of Structured Outputs parsing: output that is not JSON of the requested type,
and openai-python's two finish-reason errors, raised where it raises them.

Split from `_structured.py`, which builds the requests and parses the replies, to keep each
module a short read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._errors import OpenAIError

if TYPE_CHECKING:
    from ..types.chat import CreateChatCompletionResponse

__all__ = ["ContentFilterFinishReasonError", "LengthFinishReasonError", "StructuredOutputError"]


class StructuredOutputError(OpenAIError):
    """The model's output is not JSON of the requested type.

    ``raw`` is the text the model produced; ``response`` the whole decoded result (a
    `Response` or a chat completion) when there is one.
    """

    def __init__(self, message: str, *, raw: str, response: object = None) -> None:
        super().__init__(message)
        self.raw = raw
        self.response = response


class LengthFinishReasonError(StructuredOutputError):
    """A chat choice stopped at the token limit (``finish_reason == "length"``).

    Its content is cut off, so it is not parsed, even when the cut text happens to decode:
    openai-python raises the same class in the same case, so ported ``except`` clauses
    keep working, and so do ours for `StructuredOutputError`. ``completion`` is the whole
    chat completion as the server sent it (``usage`` included); ``raw`` the cut content.
    The fix is usually a larger ``max_completion_tokens``.
    """

    completion: CreateChatCompletionResponse

    def __init__(self, *, completion: CreateChatCompletionResponse, raw: str = "") -> None:
        message = "could not parse the content: the completion hit the token limit"
        if completion.usage:
            message += f" ({completion.usage.completion_tokens} completion tokens)"
        message += "; raise max_completion_tokens (finish_reason 'length')"
        super().__init__(message, raw=raw, response=completion)
        self.completion = completion


class ContentFilterFinishReasonError(StructuredOutputError):
    """A chat choice was stopped by the content filter (``finish_reason ==
    "content_filter"``), so its content is not parsed.

    openai-python's class of the same name, raised in the same case. ``completion`` is the
    chat completion as the server sent it.
    """

    completion: CreateChatCompletionResponse | None

    def __init__(
        self, *, completion: CreateChatCompletionResponse | None = None, raw: str = ""
    ) -> None:
        super().__init__(
            "could not parse the content: the content filter stopped the completion "
            "(finish_reason 'content_filter')",
            raw=raw,
            response=completion,
        )
        self.completion = completion
