"""Every public ``...Param`` request type of openai-python 3.63, by ``openai.types`` module.

A TypedDict or type alias exported by the package ``openai.types.<module>`` ("" for
``openai.types`` itself); its response models whose name ends in ``Param`` are left out.
Read by param_aliases.py; tests/test_openai_param_names.py checks it against the installed
openai-python, so a new release's names show up as a failing test.
"""

from __future__ import annotations

# module -> its names, space-separated (one string per module keeps the list short)
_OPENAI_PARAM_NAMES: dict[str, str] = {
    "": (
        "AutoFileChunkingStrategyParam DecisionInputImageParam DecisionInputMessageParam "
        "DecisionInputMessageUnionParam DecisionInputPartUnionParam DecisionInputTextParam "
        "DecisionPromptCacheBreakpointParam FileChunkingStrategyParam ImageInputReferenceParam "
        "ModerationImageURLInputParam ModerationMultiModalInputParam ModerationTextInputParam "
        "StaticFileChunkingStrategyObjectParam StaticFileChunkingStrategyParam VideoModelParam"
    ),
    "beta": (
        "AgentBrowserAuthenticationCancelParam AgentBrowserAuthenticationCancelParamParam "
        "AgentBrowserAuthenticationSubmitParam AgentBrowserAuthenticationSubmitParamParam "
        "AgentBrowserOriginAccessParam AgentBrowserOriginAccessParamParam "
        "AgentFunctionCallOutputParam AgentReasoningParam AgentSessionInputMessageParam "
        "AgentSessionInputParam AgentTextParam AgentToolParam "
        "AssistantResponseFormatOptionParam AssistantToolChoiceFunctionParam "
        "AssistantToolChoiceOptionParam AssistantToolChoiceParam AssistantToolParam "
        "BetaApplyPatchToolParam BetaComputerActionListParam BetaComputerActionParam "
        "BetaComputerToolParam BetaComputerUsePreviewToolParam BetaContainerAutoParam "
        "BetaContainerNetworkPolicyAllowlistParam BetaContainerNetworkPolicyDisabledParam "
        "BetaContainerNetworkPolicyDomainSecretParam BetaContainerReferenceParam "
        "BetaCustomToolParam BetaEasyInputMessageParam BetaFileSearchToolParam "
        "BetaFunctionShellToolParam BetaFunctionToolParam BetaInlineSkillParam "
        "BetaInlineSkillSourceParam BetaLocalEnvironmentParam BetaLocalSkillParam "
        "BetaMcpToolCallErrorParam BetaNamespaceToolParam "
        "BetaResponseCodeInterpreterToolCallParam BetaResponseCompactionItemParamParam "
        "BetaResponseComputerToolCallOutputScreenshotParam BetaResponseComputerToolCallParam "
        "BetaResponseConfigurationUpdateItemParamParam BetaResponseConversationParamParam "
        "BetaResponseCustomToolCallOutputParam BetaResponseCustomToolCallParam "
        "BetaResponseFileSearchToolCallParam BetaResponseFormatTextConfigParam "
        "BetaResponseFormatTextJSONSchemaConfigParam "
        "BetaResponseFunctionCallOutputItemListParam BetaResponseFunctionCallOutputItemParam "
        "BetaResponseFunctionShellCallOutputContentParam BetaResponseFunctionToolCallParam "
        "BetaResponseFunctionWebSearchParam BetaResponseInjectEventParam "
        "BetaResponseInputContentParam BetaResponseInputFileContentParam "
        "BetaResponseInputFileParam BetaResponseInputImageContentParam "
        "BetaResponseInputImageParam BetaResponseInputItemParam "
        "BetaResponseInputMessageContentListParam BetaResponseInputParam "
        "BetaResponseInputTextContentParam BetaResponseInputTextParam "
        "BetaResponseOutputMessageParam BetaResponseOutputRefusalParam "
        "BetaResponseOutputTextParam BetaResponsePromptParam BetaResponseReasoningItemParam "
        "BetaResponseSteerEventParam BetaResponseSteerInputContentParam "
        "BetaResponseSteerInputParam BetaResponseTextConfigParam "
        "BetaResponseToolSearchOutputItemParamParam BetaResponsesClientEventParam "
        "BetaSkillReferenceParam BetaToolChoiceAllowedParam BetaToolChoiceApplyPatchParam "
        "BetaToolChoiceCustomParam BetaToolChoiceFunctionParam BetaToolChoiceMcpParam "
        "BetaToolChoiceShellParam BetaToolChoiceTypesParam BetaToolParam "
        "BetaToolSearchOutputNamespaceToolParam BetaToolSearchToolParam "
        "BetaWebSearchPreviewToolParam BetaWebSearchToolParam CodeInterpreterToolParam "
        "EnvironmentParam FileSearchToolParam FunctionToolParam HostedEnvironmentFileParam "
        "HostedPluginParam HostedSkillParam InlineCapabilitySourceParam InputContentParam "
        "McpTransportParam MultiAgentConfigParam PersistedAgentToolParam "
        "PersistedMcpTransportParam SetupCommandParam TextFormatParam"
    ),
    "beta.agents": ("AutomationMetadataParam AutomationTargetParam VaultStatusFilterParam"),
    "beta.agents.vaults": (
        "CredentialAuthCreateParam CredentialAuthRotateParam CredentialNetworkingParam "
        "McpOauthTokenEndpointAuthCreateParam McpOauthTokenEndpointAuthRotateParam"
    ),
    "beta.chatkit": (
        "ChatSessionChatKitConfigurationParam ChatSessionExpiresAfterParam "
        "ChatSessionRateLimitsParam ChatSessionWorkflowParam"
    ),
    "beta.realtime": (
        "ConversationItemContentParam ConversationItemCreateEventParam "
        "ConversationItemDeleteEventParam ConversationItemParam "
        "ConversationItemRetrieveEventParam ConversationItemTruncateEventParam "
        "ConversationItemWithReferenceParam InputAudioBufferAppendEventParam "
        "InputAudioBufferClearEventParam InputAudioBufferCommitEventParam "
        "RealtimeClientEventParam ResponseCancelEventParam ResponseCreateEventParam "
        "SessionUpdateEventParam TranscriptionSessionUpdateParam"
    ),
    "beta.threads": (
        "ImageFileContentBlockParam ImageFileParam ImageURLContentBlockParam ImageURLParam "
        "MessageContentPartParam TextContentBlockParam"
    ),
    "chat": (
        "ChatCompletionAllowedToolChoiceParam ChatCompletionAllowedToolsParam "
        "ChatCompletionAssistantMessageParam ChatCompletionAudioParam "
        "ChatCompletionContentPartImageParam ChatCompletionContentPartInputAudioParam "
        "ChatCompletionContentPartParam ChatCompletionContentPartRefusalParam "
        "ChatCompletionContentPartTextParam ChatCompletionCustomToolParam "
        "ChatCompletionDeveloperMessageParam ChatCompletionFunctionCallOptionParam "
        "ChatCompletionFunctionMessageParam ChatCompletionFunctionToolParam "
        "ChatCompletionMessageCustomToolCallParam ChatCompletionMessageFunctionToolCallParam "
        "ChatCompletionMessageParam ChatCompletionMessageToolCallParam "
        "ChatCompletionMessageToolCallUnionParam ChatCompletionNamedToolChoiceCustomParam "
        "ChatCompletionNamedToolChoiceParam ChatCompletionPredictionContentParam "
        "ChatCompletionStreamOptionsParam ChatCompletionSystemMessageParam "
        "ChatCompletionToolChoiceOptionParam ChatCompletionToolMessageParam "
        "ChatCompletionToolParam ChatCompletionToolUnionParam ChatCompletionUserMessageParam "
        "CreateChatCompletionRequestMessageParam"
    ),
    "conversations": (
        "InputFileContentParam InputImageContentParam InputTextContentParam "
        "OutputTextContentParam RefusalContentParam"
    ),
    "evals": ("CreateEvalCompletionsRunDataSourceParam CreateEvalJSONLRunDataSourceParam"),
    "fine_tuning": (
        "DpoHyperparametersParam DpoMethodParam ReinforcementHyperparametersParam "
        "ReinforcementMethodParam SupervisedHyperparametersParam SupervisedMethodParam"
    ),
    "graders": (
        "GraderInputsParam LabelModelGraderParam MultiGraderParam PythonGraderParam "
        "ScoreModelGraderParam StringCheckGraderParam TextSimilarityGraderParam"
    ),
    "live": (
        "AudioFormatParam ClientConfigParam ClientDelegationParam ClientEventParam "
        "CommentaryAppendEventParam ConnectClientEventParam CustomVoiceParam "
        "DataChannelConfigParam DecisionAssistantMessageParam DecisionChoiceOptionParam "
        "DecisionCreateEventParam DecisionDeveloperMessageParam DecisionInputTextParam "
        "DecisionItemCreateEventParam DecisionItemDeleteEventParam DecisionJSONObjectParam "
        "DecisionQuestionParam DecisionSystemMessageParam DecisionTriggerParam "
        "DecisionUserMessageParam DecisionsDelegationConfigParam "
        "DecisionsDelegationUpdateConfigParam ForkClientEventParam ForkSessionConfigParam "
        "ForkSessionStartEventParam FunctionToolParam InitialItemParam "
        "InputAudioAppendEventParam InputAudioMuteEventParam InputAudioUnmuteEventParam "
        "InstructionsAppendEventParam MediaSessionConfigParam MediaSessionForkConfigParam "
        "OutputAudioFixturePlayEventParam ResponseCreateEventParam ResponseItemCreateEventParam "
        "ResponsesDelegationConfigParam ResponsesDelegationUpdateConfigParam "
        "ServerEventSelectorParam SessionCloseEventParam SessionConfigParam "
        "SessionStartEventParam SessionUpdateConfigParam SessionUpdateEventParam "
        "ThinkingAppendEventParam"
    ),
    "realtime": (
        "AudioTranscriptionParam ConnectClientEventParam ConversationItemCreateEventParam "
        "ConversationItemDeleteEventParam ConversationItemParam "
        "ConversationItemRetrieveEventParam ConversationItemTruncateEventParam "
        "InputAudioBufferAppendEventParam InputAudioBufferClearEventParam "
        "InputAudioBufferCommitEventParam OutputAudioBufferClearEventParam "
        "RealtimeAudioConfigInputParam RealtimeAudioConfigOutputParam RealtimeAudioConfigParam "
        "RealtimeAudioFormatsParam RealtimeAudioInputTurnDetectionParam "
        "RealtimeClientEventParam RealtimeConversationItemAssistantMessageParam "
        "RealtimeConversationItemFunctionCallOutputParam "
        "RealtimeConversationItemFunctionCallParam RealtimeConversationItemSystemMessageParam "
        "RealtimeConversationItemUserMessageParam RealtimeFunctionToolParam "
        "RealtimeMcpApprovalRequestParam RealtimeMcpApprovalResponseParam "
        "RealtimeMcpListToolsParam RealtimeMcpProtocolErrorParam RealtimeMcpToolCallParam "
        "RealtimeMcpToolExecutionErrorParam RealtimeMcphttpErrorParam RealtimeReasoningParam "
        "RealtimeResponseCreateAudioOutputParam RealtimeResponseCreateMcpToolParam "
        "RealtimeResponseCreateParamsParam RealtimeResponseCreateParamsWithReferencesParam "
        "RealtimeSessionCreateRequestParam RealtimeToolChoiceConfigParam "
        "RealtimeToolsConfigParam RealtimeToolsConfigUnionParam RealtimeTracingConfigParam "
        "RealtimeTranscriptionSessionAudioInputParam "
        "RealtimeTranscriptionSessionAudioInputTurnDetectionParam "
        "RealtimeTranscriptionSessionAudioParam RealtimeTranscriptionSessionCreateRequestParam "
        "RealtimeTranslationClientEventParam "
        "RealtimeTranslationInputAudioBufferAppendEventParam "
        "RealtimeTranslationSessionCloseEventParam RealtimeTranslationSessionCreateRequestParam "
        "RealtimeTranslationSessionUpdateEventParam "
        "RealtimeTranslationSessionUpdateRequestParam RealtimeTruncationParam "
        "RealtimeTruncationRetentionRatioParam ResponseCancelEventParam "
        "ResponseCreateEventParam ResponseCreateEventWithReferencesParam "
        "ResponseItemReferenceParam SessionUpdateEventParam"
    ),
    "responses": (
        "ApplyPatchToolParam ComputerActionListParam ComputerActionParam ComputerToolParam "
        "ComputerUsePreviewToolParam ContainerAutoParam ContainerNetworkPolicyAllowlistParam "
        "ContainerNetworkPolicyDisabledParam ContainerNetworkPolicyDomainSecretParam "
        "ContainerReferenceParam CustomToolParam EasyInputMessageParam FileSearchToolParam "
        "FunctionShellToolParam FunctionToolParam InlineSkillParam InlineSkillSourceParam "
        "LocalEnvironmentParam LocalSkillParam McpToolCallErrorParam NamespaceToolParam "
        "ResponseCodeInterpreterToolCallParam ResponseCompactionItemParamParam "
        "ResponseComputerToolCallOutputScreenshotParam ResponseComputerToolCallParam "
        "ResponseConfigurationUpdateItemParamParam ResponseConversationParamParam "
        "ResponseCustomToolCallOutputParam ResponseCustomToolCallParam "
        "ResponseFileSearchToolCallParam ResponseFormatTextConfigParam "
        "ResponseFormatTextJSONSchemaConfigParam ResponseFunctionCallOutputItemListParam "
        "ResponseFunctionCallOutputItemParam ResponseFunctionShellCallOutputContentParam "
        "ResponseFunctionToolCallParam ResponseFunctionWebSearchParam ResponseInputAudioParam "
        "ResponseInputContentParam ResponseInputFileContentParam ResponseInputFileParam "
        "ResponseInputImageContentParam ResponseInputImageParam ResponseInputItemParam "
        "ResponseInputMessageContentListParam ResponseInputParam ResponseInputTextContentParam "
        "ResponseInputTextParam ResponseOutputMessageParam ResponseOutputRefusalParam "
        "ResponseOutputTextParam ResponsePromptParam ResponseReasoningItemParam "
        "ResponseSteerEventParam ResponseSteerInputContentParam ResponseSteerInputParam "
        "ResponseTextConfigParam ResponseToolSearchOutputItemParamParam "
        "ResponsesClientEventParam SkillReferenceParam ToolChoiceAllowedParam "
        "ToolChoiceApplyPatchParam ToolChoiceCustomParam ToolChoiceFunctionParam "
        "ToolChoiceMcpParam ToolChoiceShellParam ToolChoiceTypesParam ToolParam "
        "ToolSearchOutputNamespaceToolParam ToolSearchToolParam WebSearchPreviewToolParam "
        "WebSearchToolParam"
    ),
}
OPENAI_PARAM_NAMES: dict[str, tuple[str, ...]] = {
    path: tuple(names.split()) for path, names in _OPENAI_PARAM_NAMES.items()
}
