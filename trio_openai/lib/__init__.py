"""Helpers over the client: fan-out, rate limiting, stream accumulators, structured outputs and tools."""

from ._fanout import Outcome as Outcome, map_concurrent as map_concurrent, run_all as run_all
from ._ratelimit import RateLimiter as RateLimiter, RateLimiterStatistics as RateLimiterStatistics
from ._schema import (
    to_strict_json_schema as to_strict_json_schema,
)
from ._structured import (
    ParsedChatCompletion as ParsedChatCompletion,
    ParsedChatMessage as ParsedChatMessage,
    ParsedChoice as ParsedChoice,
    ParsedResponse as ParsedResponse,
    StructuredOutputError as StructuredOutputError,
    chat_response_format as chat_response_format,
    parse_chat as parse_chat,
    parse_chat_completion as parse_chat_completion,
    parse_response as parse_response,
    parse_responses as parse_responses,
    response_output_text as response_output_text,
    response_text_format as response_text_format,
)
from ._tools import (
    FunctionTool as FunctionTool,
    MaxTurnsExceeded as MaxTurnsExceeded,
    ToolArgumentsError as ToolArgumentsError,
    ToolResult as ToolResult,
    ToolTurn as ToolTurn,
    function_tool as function_tool,
    run_tools_chat as run_tools_chat,
    run_tools_responses as run_tools_responses,
    tool_output_text as tool_output_text,
)

__all__ = [
    "FunctionTool",
    "MaxTurnsExceeded",
    "Outcome",
    "ParsedChatCompletion",
    "ParsedChatMessage",
    "ParsedChoice",
    "ParsedResponse",
    "RateLimiter",
    "RateLimiterStatistics",
    "StructuredOutputError",
    "ToolArgumentsError",
    "ToolResult",
    "ToolTurn",
    "chat_response_format",
    "function_tool",
    "map_concurrent",
    "parse_chat",
    "parse_chat_completion",
    "parse_response",
    "parse_responses",
    "response_output_text",
    "response_text_format",
    "run_all",
    "run_tools_chat",
    "run_tools_responses",
    "to_strict_json_schema",
    "tool_output_text",
]
