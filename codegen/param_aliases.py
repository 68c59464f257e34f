"""openai-python's request type names (``...Param``), as aliases of the generated TypedDicts.

openai-python exports a TypedDict or type alias for each request shape
(``openai.types.responses.ToolParam``, ``openai.types.chat.ChatCompletionMessageParam``...);
code written against it imports them to annotate what it passes. `param_aliases` maps each
name of `OPENAI_PARAM_NAMES` to the TypedDict or alias of ``types/params.py`` with the same
shape, so ``trio_openai.types.<same module>`` exports it too.

Most are found by rule (`_candidates`): the same name, or openai-python's prefix dropped
(``ResponseReasoningItemParam`` -> ``ReasoningItemParam``, ``BetaResponseX`` -> ``BetaX``,
``ChatCompletionSystemMessageParam`` -> ``ChatCompletionRequestSystemMessageParam``),
compared without case (``McpToolCallErrorParam`` -> ``MCPToolCallErrorParam``). A nullable
alias (``X | None``) gives way to its TypedDict, as openai-python's names are not optional.
`PARAM_TARGETS` names the rest by hand, `NO_ALIAS` the names with no generated shape to
point at (with the reason); a rule never overrides either. tests/test_openai_param_names.py
checks every name against openai-python: the alias's keys (or union members) are
openai-python's, or the difference is listed there with its reason.

`OPENAI_PARAM_NAMES` (openai_param_names.py) is every public ``*Param`` TypedDict or alias
of each ``openai.types`` package of openai-python 3.63 (its response models whose name ends
in ``Param``, as ``ResponseConversationParam``, are in aliases.py's table instead).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from .openai_param_names import OPENAI_PARAM_NAMES

# Hand-picked targets: openai-python's name and the spec's differ more than a prefix.
PARAM_TARGETS: dict[str, dict[str, str]] = {
    "": {
        "ImageInputReferenceParam": "CreateVideoMultipartBodyImageRefParam",
        "ModerationImageURLInputParam": "ModerationsCreateInputItemImageUrlParam",
        "ModerationTextInputParam": "ModerationsCreateInputItemTextParam",
        "StaticFileChunkingStrategyParam": "StaticChunkingStrategyParam",
    },
    "beta": {
        "AssistantResponseFormatOptionParam": "AssistantsApiResponseFormatOptionParam",
        "AssistantToolChoiceFunctionParam": "AssistantsNamedToolChoiceFunctionParam",
        "AssistantToolChoiceOptionParam": "AssistantsApiToolChoiceOptionParam",
        "AssistantToolChoiceParam": "AssistantsNamedToolChoiceParam",
        "BetaResponseCompactionItemParamParam": "BetaCompactionSummaryItemParam",
        "BetaResponseComputerToolCallOutputScreenshotParam": "BetaComputerScreenshotImageParam",
        "BetaResponseConversationParamParam": "BetaConversationObjectParam",
        "BetaResponseFormatTextConfigParam": "BetaTextResponseFormatConfigurationParam",
        "BetaResponseFormatTextJSONSchemaConfigParam": "BetaTextResponseFormatJsonSchemaParam",
        "BetaResponseFunctionCallOutputItemParam": "BetaFunctionAndCustomToolCallOutputParam",
        "BetaResponseFunctionWebSearchParam": "BetaWebSearchToolCallParam",
        "BetaResponseInputFileParam": "BetaInputFileContentParam",
        "BetaResponseInputImageParam": "BetaInputImageContentParam",
        "BetaResponseInputTextParam": "BetaInputTextContentParam",
        "BetaResponseOutputRefusalParam": "BetaRefusalContentParam",
        "BetaResponseOutputTextParam": "BetaOutputTextContentParam",
        "BetaResponseTextConfigParam": "BetaResponseTextParam",
        "BetaResponseToolSearchOutputItemParamParam": "BetaToolSearchOutputItemParam",
        "BetaToolChoiceApplyPatchParam": "BetaSpecificApplyPatchParam",
        "BetaToolChoiceShellParam": "BetaSpecificFunctionShellParam",
        "BetaToolSearchOutputNamespaceToolParam": "BetaNamespaceToolParam",
        "CodeInterpreterToolParam": "AssistantToolsCodeParam",
        "FileSearchToolParam": "AssistantToolsFileSearchParam",
        "FunctionToolParam": "AssistantToolsFunctionParam",
    },
    "beta.chatkit": {
        "ChatSessionChatKitConfigurationParam": "ChatkitConfigurationParam",
        "ChatSessionExpiresAfterParam": "ExpiresAfterParam",
        "ChatSessionRateLimitsParam": "RateLimitsParam",
        "ChatSessionWorkflowParam": "WorkflowParam",
    },
    "beta.threads": {
        "ImageFileContentBlockParam": "MessageContentImageFileObjectParam",
        "ImageFileParam": "MessageContentImageFileObjectImageFileParam",
        "ImageURLContentBlockParam": "MessageContentImageUrlObjectParam",
        "ImageURLParam": "MessageContentImageUrlObjectImageUrlParam",
        "TextContentBlockParam": "MessageRequestContentTextObjectParam",
    },
    "chat": {
        "ChatCompletionAllowedToolChoiceParam": "ChatCompletionAllowedToolsChoiceParam",
        "ChatCompletionAudioParam": "CompletionsCreateAudioParam",
        "ChatCompletionContentPartInputAudioParam": (
            "ChatCompletionRequestMessageContentPartAudioParam"
        ),
        "ChatCompletionContentPartParam": "ChatCompletionRequestUserMessageContentPartParam",
        "ChatCompletionCustomToolParam": "CustomToolChatCompletionsParam",
        "ChatCompletionFunctionToolParam": "ChatCompletionToolParam",
        "ChatCompletionMessageFunctionToolCallParam": "ChatCompletionMessageToolCallParam",
        "ChatCompletionMessageParam": "ChatCompletionRequestMessageParam",
        "ChatCompletionPredictionContentParam": "PredictionContentParam",
        "CreateChatCompletionRequestMessageParam": "ChatCompletionRequestMessageParam",
    },
    "fine_tuning": {
        "DpoHyperparametersParam": "FineTuneDPOHyperparametersParam",
        "DpoMethodParam": "FineTuneDPOMethodParam",
        "ReinforcementHyperparametersParam": "FineTuneReinforcementHyperparametersParam",
        "ReinforcementMethodParam": "FineTuneReinforcementMethodParam",
        "SupervisedHyperparametersParam": "FineTuneSupervisedHyperparametersParam",
        "SupervisedMethodParam": "FineTuneSupervisedMethodParam",
    },
    "graders": {
        "LabelModelGraderParam": "GraderLabelModelParam",
        "MultiGraderParam": "GraderMultiParam",
        "PythonGraderParam": "GraderPythonParam",
        "ScoreModelGraderParam": "GraderScoreModelParam",
        "StringCheckGraderParam": "GraderStringCheckParam",
        "TextSimilarityGraderParam": "GraderTextSimilarityParam",
    },
    "realtime": {
        "RealtimeAudioConfigInputParam": "RealtimeSessionCreateRequestGAAudioInputParam",
        "RealtimeAudioConfigOutputParam": "RealtimeSessionCreateRequestGAAudioOutputParam",
        "RealtimeAudioConfigParam": "RealtimeSessionCreateRequestGAAudioParam",
        "RealtimeAudioInputTurnDetectionParam": "RealtimeTurnDetectionParam",
        "RealtimeMcphttpErrorParam": "HTTPErrorParam",
        "RealtimeResponseCreateMcpToolParam": "MCPToolParam",
        "RealtimeSessionCreateRequestParam": "RealtimeSessionCreateRequestGAParam",
        "RealtimeTranscriptionSessionAudioInputParam": (
            "RealtimeTranscriptionSessionCreateRequestGAAudioInputParam"
        ),
        "RealtimeTranscriptionSessionAudioParam": (
            "RealtimeTranscriptionSessionCreateRequestGAAudioParam"
        ),
        "RealtimeTranscriptionSessionCreateRequestParam": (
            "RealtimeTranscriptionSessionCreateRequestGAParam"
        ),
        "ResponseItemReferenceParam": "ItemReferenceParam",
    },
    "responses": {
        "ResponseCompactionItemParamParam": "CompactionSummaryItemParam",
        "ResponseComputerToolCallOutputScreenshotParam": "ComputerScreenshotImageParam",
        "ResponseConversationParamParam": "ConversationObjectParam",
        "ResponseFormatTextConfigParam": "TextResponseFormatConfigurationParam",
        "ResponseFormatTextJSONSchemaConfigParam": "TextResponseFormatJsonSchemaParam",
        "ResponseFunctionCallOutputItemParam": "FunctionAndCustomToolCallOutputParam",
        "ResponseFunctionWebSearchParam": "WebSearchToolCallParam",
        "ResponseInputFileParam": "InputFileContentParam",
        "ResponseInputImageParam": "InputImageContentParam",
        "ResponseInputTextParam": "InputTextContentParam",
        "ResponseOutputRefusalParam": "RefusalContentParam",
        "ResponseOutputTextParam": "OutputTextContentParam",
        "ResponseTextConfigParam": "ResponseTextParam",
        "ResponseToolSearchOutputItemParamParam": "ToolSearchOutputItemParam",
        "ToolChoiceApplyPatchParam": "SpecificApplyPatchParam",
        "ToolChoiceShellParam": "SpecificFunctionShellParam",
        "ToolSearchOutputNamespaceToolParam": "NamespaceToolParam",
    },
}

_NOT_IN_SPEC = "not in this version of the spec"
_INLINE_UNION = "the spec writes this union inline where it is used (no named schema)"
_INLINE_LIST = "the spec writes this list inline where it is used (no named schema)"
_AGENTS = "openai-python's Agents API (beta.agents): " + _NOT_IN_SPEC
_LIVE = "openai-python's Live API (types.live): " + _NOT_IN_SPEC

_ARRAY = (
    "an array schema of the spec: the request types write Sequence[...] where it is used, and"
    " no alias of the array is generated"
)
_WS_EVENT = (
    "a WebSocket client event: the spec describes it as a message, not a request body, so it"
    " is generated as a model and has no request TypedDict"
)
_REALTIME_ITEM = (
    "a Realtime conversation item: generated as a model only (it is no request body); the"
    " spec's request type of that name is the Responses item, of another shape"
)
_REALTIME_GA_INLINE = "the spec writes this part of the GA Realtime session inline"


def _each(names: str, reason: str) -> dict[str, str]:
    """{name: reason} for each space-separated name."""
    return dict.fromkeys(names.split(), reason)


# openai-python's names with no generated shape to alias, and why.
NO_ALIAS: dict[str, dict[str, str]] = {
    "": {
        **_each(
            (
                "DecisionInputImageParam DecisionInputMessageParam DecisionInputMessageUnionParam "
                "DecisionInputPartUnionParam DecisionInputTextParam "
                "DecisionPromptCacheBreakpointParam"
            ),
            _LIVE,
        ),
        "ModerationMultiModalInputParam": _INLINE_UNION,
    },
    "beta": {
        **_each(
            (
                "AgentBrowserAuthenticationCancelParam AgentBrowserAuthenticationCancelParamParam "
                "AgentBrowserAuthenticationSubmitParam AgentBrowserAuthenticationSubmitParamParam "
                "AgentBrowserOriginAccessParam AgentBrowserOriginAccessParamParam "
                "AgentFunctionCallOutputParam AgentReasoningParam AgentSessionInputMessageParam "
                "AgentSessionInputParam AgentTextParam AgentToolParam EnvironmentParam "
                "HostedEnvironmentFileParam HostedPluginParam HostedSkillParam "
                "InlineCapabilitySourceParam InputContentParam McpTransportParam "
                "MultiAgentConfigParam PersistedAgentToolParam PersistedMcpTransportParam "
                "SetupCommandParam TextFormatParam"
            ),
            _AGENTS,
        ),
        "AssistantToolParam": _INLINE_UNION,
        "BetaComputerActionListParam": _ARRAY,
        "BetaResponseConfigurationUpdateItemParamParam": _NOT_IN_SPEC,
        "BetaResponseFunctionCallOutputItemListParam": _INLINE_LIST,
        "BetaResponseInjectEventParam": _WS_EVENT,
        "BetaResponseInputMessageContentListParam": _ARRAY,
        "BetaResponseSteerEventParam": _NOT_IN_SPEC,
        "BetaResponseSteerInputContentParam": _NOT_IN_SPEC,
        "BetaResponseSteerInputParam": _NOT_IN_SPEC,
        "BetaResponsesClientEventParam": _WS_EVENT,
    },
    "beta.agents": dict.fromkeys(OPENAI_PARAM_NAMES["beta.agents"], _AGENTS),
    "beta.agents.vaults": dict.fromkeys(OPENAI_PARAM_NAMES["beta.agents.vaults"], _AGENTS),
    "beta.realtime": dict.fromkeys(
        OPENAI_PARAM_NAMES["beta.realtime"],
        "the beta Realtime API's events: " + _NOT_IN_SPEC + " (its GA events are models)",
    ),
    "beta.threads": {"MessageContentPartParam": _INLINE_UNION},
    "chat": {
        "ChatCompletionMessageToolCallUnionParam": "the spec names only the list of tool calls",
        "ChatCompletionToolUnionParam": _INLINE_UNION,
    },
    "graders": {"GraderInputsParam": _INLINE_LIST},
    "live": dict.fromkeys(OPENAI_PARAM_NAMES["live"], _LIVE),
    "realtime": {
        **_each(
            (
                "ConnectClientEventParam ConversationItemCreateEventParam "
                "ConversationItemDeleteEventParam ConversationItemRetrieveEventParam "
                "ConversationItemTruncateEventParam InputAudioBufferAppendEventParam "
                "InputAudioBufferClearEventParam InputAudioBufferCommitEventParam "
                "OutputAudioBufferClearEventParam RealtimeClientEventParam "
                "RealtimeTranslationClientEventParam "
                "RealtimeTranslationInputAudioBufferAppendEventParam "
                "RealtimeTranslationSessionCloseEventParam "
                "RealtimeTranslationSessionUpdateEventParam ResponseCancelEventParam "
                "ResponseCreateEventParam ResponseCreateEventWithReferencesParam "
                "SessionUpdateEventParam"
            ),
            _WS_EVENT,
        ),
        **_each(
            (
                "ConversationItemParam RealtimeConversationItemAssistantMessageParam "
                "RealtimeConversationItemFunctionCallOutputParam "
                "RealtimeConversationItemFunctionCallParam "
                "RealtimeConversationItemSystemMessageParam "
                "RealtimeConversationItemUserMessageParam RealtimeMcpListToolsParam "
                "RealtimeMcpProtocolErrorParam RealtimeMcpToolCallParam "
                "RealtimeMcpToolExecutionErrorParam"
            ),
            _REALTIME_ITEM,
        ),
        **_each(
            (
                "RealtimeResponseCreateAudioOutputParam RealtimeToolChoiceConfigParam "
                "RealtimeToolsConfigParam RealtimeToolsConfigUnionParam "
                "RealtimeTracingConfigParam "
                "RealtimeTranscriptionSessionAudioInputTurnDetectionParam"
            ),
            _REALTIME_GA_INLINE,
        ),
        **_each(
            (
                "RealtimeResponseCreateParamsParam "
                "RealtimeResponseCreateParamsWithReferencesParam "
                "RealtimeTranslationSessionUpdateRequestParam"
            ),
            "sent inside a WebSocket client event: generated as a model only",
        ),
    },
    "responses": {
        "ComputerActionListParam": _ARRAY,
        "ResponseConfigurationUpdateItemParamParam": _NOT_IN_SPEC,
        "ResponseFunctionCallOutputItemListParam": _INLINE_LIST,
        "ResponseInputMessageContentListParam": _ARRAY,
        "ResponseSteerEventParam": _NOT_IN_SPEC,
        "ResponseSteerInputContentParam": _NOT_IN_SPEC,
        "ResponseSteerInputParam": _NOT_IN_SPEC,
        "ResponsesClientEventParam": _WS_EVENT,
    },
}


def param_aliases(available: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """{openai-python module: {its ``...Param`` name: the generated name}}.

    `available` maps each name of ``types/params.py`` to its annotation when it is an
    alias ("" for a TypedDict). Names with no target are left out (the test lists them).
    """
    by_folded = {name.lower(): name for name in available}
    out: dict[str, dict[str, str]] = {}
    for path, names in OPENAI_PARAM_NAMES.items():
        found: dict[str, str] = {}
        for name in names:
            if name in NO_ALIAS.get(path, {}):
                continue
            target = PARAM_TARGETS.get(path, {}).get(name)
            if target is None:
                target = next(
                    (by_folded[c.lower()] for c in _candidates(name) if c.lower() in by_folded),
                    None,
                )
            if target is not None and target in available:
                found[name] = _non_null(target, available)
        if found:
            out[path] = found
    return out


_PREFIXES = (
    ("BetaResponse", "Beta"),
    ("Response", ""),
    ("Realtime", ""),
    ("ChatCompletionContentPart", "ChatCompletionRequestMessageContentPart"),
    ("ChatCompletion", "ChatCompletionRequest"),
)


def _candidates(name: str) -> Iterator[str]:
    yield name
    for prefix, replacement in _PREFIXES:
        if name.startswith(prefix):
            yield replacement + name.removeprefix(prefix)


_NULLABLE = re.compile(r"^(\w+) \| None$")


def _non_null(name: str, available: Mapping[str, str]) -> str:
    """The TypedDict of a nullable alias (``X | None`` -> ``X``), else `name`."""
    match = _NULLABLE.match(available[name])
    return match[1] if match and match[1] in available else name
