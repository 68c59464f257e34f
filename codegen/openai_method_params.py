"""openai-python 3.63's method parameter modules (``openai.types.chat.completion_create_params``
and 250 more) and the method of this client each one types.

Each module of openai-python holds one TypedDict of a method's keyword arguments
(``CompletionCreateParams``; for a method that streams, ``...Base`` with ``...Streaming`` and
``...NonStreaming`` over it). codegen/bodies.py generates the same names from the method's
own signature, so ``create(**params)`` type-checks. tests/test_openai_method_params.py
checks this table against the installed openai-python: each of its ``*_params`` modules is
either here or in `NOT_GENERATED`, with the reason.
"""

from __future__ import annotations

# openai-python module (under openai.types) -> (the method here, its TypedDict's name)
METHOD_PARAMS: dict[str, tuple[str, str]] = {
    "audio.speech_create_params": ("audio.speech.create", "SpeechCreateParams"),
    "audio.transcription_create_params": (
        "audio.transcriptions.create",
        "TranscriptionCreateParams",
    ),
    "audio.translation_create_params": ("audio.translations.create", "TranslationCreateParams"),
    "audio.voice_consent_create_params": (
        "audio.voice_consents.create",
        "VoiceConsentCreateParams",
    ),
    "audio.voice_consent_list_params": ("audio.voice_consents.list", "VoiceConsentListParams"),
    "audio.voice_consent_update_params": (
        "audio.voice_consents.update",
        "VoiceConsentUpdateParams",
    ),
    "audio.voice_create_params": ("audio.voices.create", "VoiceCreateParams"),
    "batch_create_params": ("batches.create", "BatchCreateParams"),
    "batch_list_params": ("batches.list", "BatchListParams"),
    "beta.assistant_create_params": ("beta.assistants.create", "AssistantCreateParams"),
    "beta.assistant_list_params": ("beta.assistants.list", "AssistantListParams"),
    "beta.assistant_update_params": ("beta.assistants.update", "AssistantUpdateParams"),
    "beta.chatkit.session_create_params": ("beta.chatkit.sessions.create", "SessionCreateParams"),
    "beta.chatkit.thread_list_items_params": (
        "beta.chatkit.threads.list_items",
        "ThreadListItemsParams",
    ),
    "beta.chatkit.thread_list_params": ("beta.chatkit.threads.list", "ThreadListParams"),
    "beta.realtime.session_create_params": ("realtime.sessions.create", "SessionCreateParams"),
    "beta.realtime.transcription_session_create_params": (
        "realtime.transcription_sessions.create",
        "TranscriptionSessionCreateParams",
    ),
    "beta.response_compact_params": ("beta.responses.compact", "ResponseCompactParams"),
    "beta.response_create_params": ("beta.responses.create", "ResponseCreateParams"),
    "beta.response_retrieve_params": ("beta.responses.retrieve", "ResponseRetrieveParams"),
    "beta.responses.input_item_list_params": (
        "beta.responses.input_items.list",
        "InputItemListParams",
    ),
    "beta.responses.input_token_count_params": (
        "beta.responses.input_tokens.count",
        "InputTokenCountParams",
    ),
    "beta.thread_create_and_run_params": (
        "beta.threads.create_and_run",
        "ThreadCreateAndRunParams",
    ),
    "beta.thread_create_params": ("beta.threads.create", "ThreadCreateParams"),
    "beta.thread_update_params": ("beta.threads.update", "ThreadUpdateParams"),
    "beta.threads.message_create_params": ("beta.threads.messages.create", "MessageCreateParams"),
    "beta.threads.message_list_params": ("beta.threads.messages.list", "MessageListParams"),
    "beta.threads.message_update_params": ("beta.threads.messages.update", "MessageUpdateParams"),
    "beta.threads.run_create_params": ("beta.threads.runs.create", "RunCreateParams"),
    "beta.threads.run_list_params": ("beta.threads.runs.list", "RunListParams"),
    "beta.threads.run_submit_tool_outputs_params": (
        "beta.threads.runs.submit_tool_outputs",
        "RunSubmitToolOutputsParams",
    ),
    "beta.threads.run_update_params": ("beta.threads.runs.update", "RunUpdateParams"),
    "beta.threads.runs.step_list_params": ("beta.threads.runs.steps.list", "StepListParams"),
    "beta.threads.runs.step_retrieve_params": (
        "beta.threads.runs.steps.retrieve",
        "StepRetrieveParams",
    ),
    "chat.completion_create_params": ("chat.completions.create", "CompletionCreateParams"),
    "chat.completion_list_params": ("chat.completions.list", "CompletionListParams"),
    "chat.completion_update_params": ("chat.completions.update", "CompletionUpdateParams"),
    "completion_create_params": ("completions.create", "CompletionCreateParams"),
    "container_create_params": ("containers.create", "ContainerCreateParams"),
    "container_list_params": ("containers.list", "ContainerListParams"),
    "containers.file_create_params": ("containers.files.create", "FileCreateParams"),
    "containers.file_list_params": ("containers.files.list", "FileListParams"),
    "content_provenance_check_create_params": (
        "content_provenance_checks.create",
        "ContentProvenanceCheckCreateParams",
    ),
    "conversations.conversation_create_params": (
        "conversations.create",
        "ConversationCreateParams",
    ),
    "conversations.conversation_update_params": (
        "conversations.update",
        "ConversationUpdateParams",
    ),
    "conversations.item_create_params": ("conversations.items.create", "ItemCreateParams"),
    "conversations.item_list_params": ("conversations.items.list", "ItemListParams"),
    "conversations.item_retrieve_params": ("conversations.items.retrieve", "ItemRetrieveParams"),
    "embedding_create_params": ("embeddings.create", "EmbeddingCreateParams"),
    "eval_create_params": ("evals.create", "EvalCreateParams"),
    "eval_list_params": ("evals.list", "EvalListParams"),
    "eval_update_params": ("evals.update", "EvalUpdateParams"),
    "evals.run_create_params": ("evals.runs.create", "RunCreateParams"),
    "evals.run_list_params": ("evals.runs.list", "RunListParams"),
    "evals.runs.output_item_list_params": ("evals.runs.output_items.list", "OutputItemListParams"),
    "file_create_params": ("files.create", "FileCreateParams"),
    "file_list_params": ("files.list", "FileListParams"),
    "fine_tuning.alpha.grader_run_params": ("fine_tuning.alpha.graders.run", "GraderRunParams"),
    "fine_tuning.alpha.grader_validate_params": (
        "fine_tuning.alpha.graders.validate",
        "GraderValidateParams",
    ),
    "fine_tuning.checkpoints.permission_create_params": (
        "fine_tuning.checkpoints.permissions.create",
        "PermissionCreateParams",
    ),
    "fine_tuning.checkpoints.permission_list_params": (
        "fine_tuning.checkpoints.permissions.list",
        "PermissionListParams",
    ),
    "fine_tuning.checkpoints.permission_retrieve_params": (
        "fine_tuning.checkpoints.permissions.list",
        "PermissionRetrieveParams",
    ),
    "fine_tuning.job_create_params": ("fine_tuning.jobs.create", "JobCreateParams"),
    "fine_tuning.job_list_events_params": ("fine_tuning.jobs.list_events", "JobListEventsParams"),
    "fine_tuning.job_list_params": ("fine_tuning.jobs.list", "JobListParams"),
    "fine_tuning.jobs.checkpoint_list_params": (
        "fine_tuning.jobs.checkpoints.list",
        "CheckpointListParams",
    ),
    "image_create_variation_params": ("images.create_variation", "ImageCreateVariationParams"),
    "image_edit_params": ("images.edit", "ImageEditParams"),
    "image_generate_params": ("images.generate", "ImageGenerateParams"),
    "moderation_create_params": ("moderations.create", "ModerationCreateParams"),
    "realtime.call_accept_params": ("realtime.calls.accept", "CallAcceptParams"),
    "realtime.call_create_params": ("realtime.calls.create", "CallCreateParams"),
    "realtime.call_refer_params": ("realtime.calls.refer", "CallReferParams"),
    "realtime.call_reject_params": ("realtime.calls.reject", "CallRejectParams"),
    "realtime.client_secret_create_params": (
        "realtime.client_secrets.create",
        "ClientSecretCreateParams",
    ),
    "responses.input_item_list_params": ("responses.input_items.list", "InputItemListParams"),
    "responses.input_token_count_params": ("responses.input_tokens.count", "InputTokenCountParams"),
    "responses.response_compact_params": ("responses.compact", "ResponseCompactParams"),
    "responses.response_create_params": ("responses.create", "ResponseCreateParams"),
    "responses.response_retrieve_params": ("responses.retrieve", "ResponseRetrieveParams"),
    "skill_create_params": ("skills.create", "SkillCreateParams"),
    "skill_list_params": ("skills.list", "SkillListParams"),
    "skill_update_params": ("skills.update", "SkillUpdateParams"),
    "skills.version_create_params": ("skills.versions.create", "VersionCreateParams"),
    "skills.version_list_params": ("skills.versions.list", "VersionListParams"),
    "upload_complete_params": ("uploads.complete", "UploadCompleteParams"),
    "upload_create_params": ("uploads.create", "UploadCreateParams"),
    "uploads.part_create_params": ("uploads.parts.create", "PartCreateParams"),
    "vector_store_create_params": ("vector_stores.create", "VectorStoreCreateParams"),
    "vector_store_list_params": ("vector_stores.list", "VectorStoreListParams"),
    "vector_store_search_params": ("vector_stores.search", "VectorStoreSearchParams"),
    "vector_store_update_params": ("vector_stores.update", "VectorStoreUpdateParams"),
    "vector_stores.file_batch_create_params": (
        "vector_stores.file_batches.create",
        "FileBatchCreateParams",
    ),
    "vector_stores.file_batch_list_files_params": (
        "vector_stores.file_batches.list_files",
        "FileBatchListFilesParams",
    ),
    "vector_stores.file_create_params": ("vector_stores.files.create", "FileCreateParams"),
    "vector_stores.file_list_params": ("vector_stores.files.list", "FileListParams"),
    "vector_stores.file_update_params": ("vector_stores.files.update", "FileUpdateParams"),
    "video_create_character_params": ("videos.character.create", "VideoCreateCharacterParams"),
    "video_create_params": ("videos.create", "VideoCreateParams"),
    "video_download_content_params": ("videos.download_content", "VideoDownloadContentParams"),
    "video_edit_params": ("videos.edit", "VideoEditParams"),
    "video_extend_params": ("videos.extend", "VideoExtendParams"),
    "video_list_params": ("videos.list", "VideoListParams"),
    "video_remix_params": ("videos.remix", "VideoRemixParams"),
}

_ADMIN = (
    "openai.types.admin is here the generated module types/admin.py, which cannot hold"
    " openai-python's admin.organization.* submodules"
)
_AREA_MODULE = (
    "its package (chat.completions, realtime.translations) is a class-holding module here"
    " (types/chat.py, types/realtime.py) that cannot hold a submodule"
)
_AGENTS = "openai-python's Agents API (beta.agents): not in this version of the spec"
_LIVE = "openai-python's Live API (types.live, decisions): not in this version of the spec"
_WEBHOOKS = "openai-python's webhook endpoints management: not in this version of the spec"
_CONNECT = "the query of a Realtime WebSocket connection: no method of client.* takes it"
_WS_EVENT = "the fields of a Realtime WebSocket client event, not a method's arguments"
_SHARED = "shared request types (openai.types.shared_params), no method's arguments"


def _each(names: str, reason: str) -> dict[str, str]:
    return dict.fromkeys(names.split(), reason)


# openai-python's modules with no generated twin, and why (a prefix stands for its modules).
NOT_GENERATED_PREFIXES: dict[str, str] = {"admin.": _ADMIN}
NOT_GENERATED: dict[str, str] = {
    **_each(
        (
            "beta.agent_create_params beta.agent_list_params beta.agent_update_params "
            "beta.agents.automation_create_params beta.agents.automation_list_params "
            "beta.agents.automation_update_params beta.agents.automations.invocation_list_params "
            "beta.agents.environment_create_params beta.agents.environment_list_params "
            "beta.agents.environments.file_create_params beta.agents.environments.file_list_params "
            "beta.agents.environments.template_create_params "
            "beta.agents.environments.template_list_params "
            "beta.agents.environments.template_update_params beta.agents.session_create_params "
            "beta.agents.session_list_params beta.agents.session_update_params "
            "beta.agents.sessions.artifact_list_params beta.agents.sessions.event_create_params "
            "beta.agents.sessions.event_stream_params beta.agents.sessions.item_list_params "
            "beta.agents.sessions.subagent_list_params "
            "beta.agents.sessions.subagents.item_list_params "
            "beta.agents.sessions.subagents.turn_list_params "
            "beta.agents.sessions.subagents.turns.item_list_params "
            "beta.agents.sessions.trace_list_params beta.agents.sessions.turn_list_params "
            "beta.agents.sessions.turns.item_list_params beta.agents.vault_create_params "
            "beta.agents.vault_list_params beta.agents.vault_update_params "
            "beta.agents.vaults.credential_create_params beta.agents.vaults.credential_list_params "
            "beta.agents.vaults.credential_update_params"
        ),
        _AGENTS,
    ),
    **_each(
        ("beta.realtime.realtime_connect_params realtime.realtime_connect_params"),
        _CONNECT,
    ),
    **_each(
        ("chat.completions.message_list_params realtime.translations.client_secret_create_params"),
        _AREA_MODULE,
    ),
    **_each(
        (
            "decision_create_params live.live_create_params live.session_accept_params "
            "live.session_fork_params live.session_refer_params live.session_reject_params "
            "live.sideband_connect_params"
        ),
        _LIVE,
    ),
    **_each(
        ("realtime.realtime_response_create_params"),
        _WS_EVENT,
    ),
    **_each(
        ("shared_params"),
        _SHARED,
    ),
    **_each(
        (
            "webhooks.webhook_create_params webhooks.webhook_list_params "
            "webhooks.webhook_rotate_secret_params webhooks.webhook_test_params "
            "webhooks.webhook_update_params"
        ),
        _WEBHOOKS,
    ),
}


# openai-python's other names in those modules: the types of keys (`ResponseFormat`,
# `WebSearchOptionsUserLocation`...), space-separated. bodies.py aliases each whose key path
# leads to a generated request type; tests/test_openai_method_params.py lists the others.
NESTED_NAMES: dict[str, str] = {
    "audio.speech_create_params": "Voice VoiceID",
    "audio.transcription_create_params": "ChunkingStrategy ChunkingStrategyVadConfig",
    "audio.voice_create_params": "CreateVoiceRequestAudioSample CreateVoiceRequestPrompt",
    "batch_create_params": "OutputExpiresAfter",
    "beta.assistant_create_params": (
        "ToolResources ToolResourcesCodeInterpreter ToolResourcesFileSearch "
        "ToolResourcesFileSearchVectorStore "
        "ToolResourcesFileSearchVectorStoreChunkingStrategy "
        "ToolResourcesFileSearchVectorStoreChunkingStrategyAuto "
        "ToolResourcesFileSearchVectorStoreChunkingStrategyStatic "
        "ToolResourcesFileSearchVectorStoreChunkingStrategyStaticStatic"
    ),
    "beta.assistant_update_params": "ToolResources ToolResourcesCodeInterpreter ToolResourcesFileSearch",
    "beta.realtime.session_create_params": (
        "ClientSecret ClientSecretExpiresAfter InputAudioNoiseReduction "
        "InputAudioTranscription Tool Tracing TracingTracingConfiguration TurnDetection"
    ),
    "beta.realtime.transcription_session_create_params": (
        "ClientSecret ClientSecretExpiresAt InputAudioNoiseReduction InputAudioTranscription "
        "TurnDetection"
    ),
    "beta.response_compact_params": "Image PromptCacheOptions",
    "beta.response_create_params": (
        "AccessPrograms BackgroundOptions ContextManagement Conversation Image Moderation "
        "ModerationPolicy ModerationPolicyInput ModerationPolicyOutput MultiAgent "
        "PromptCacheOptions Reasoning StreamOptions ToolChoice "
        "ToolChoiceBetaSpecificProgrammaticToolCallingParam"
    ),
    "beta.responses.input_token_count_params": (
        "Conversation Reasoning Text ToolChoice ToolChoiceBetaSpecificProgrammaticToolCallingParam"
    ),
    "beta.thread_create_and_run_params": (
        "Thread ThreadMessage ThreadMessageAttachment ThreadMessageAttachmentTool "
        "ThreadMessageAttachmentToolFileSearch ThreadToolResources "
        "ThreadToolResourcesCodeInterpreter ThreadToolResourcesFileSearch "
        "ThreadToolResourcesFileSearchVectorStore "
        "ThreadToolResourcesFileSearchVectorStoreChunkingStrategy "
        "ThreadToolResourcesFileSearchVectorStoreChunkingStrategyAuto "
        "ThreadToolResourcesFileSearchVectorStoreChunkingStrategyStatic "
        "ThreadToolResourcesFileSearchVectorStoreChunkingStrategyStaticStatic ToolResources "
        "ToolResourcesCodeInterpreter ToolResourcesFileSearch TruncationStrategy"
    ),
    "beta.thread_create_params": (
        "Message MessageAttachment MessageAttachmentTool MessageAttachmentToolFileSearch "
        "ToolResources ToolResourcesCodeInterpreter ToolResourcesFileSearch "
        "ToolResourcesFileSearchVectorStore "
        "ToolResourcesFileSearchVectorStoreChunkingStrategy "
        "ToolResourcesFileSearchVectorStoreChunkingStrategyAuto "
        "ToolResourcesFileSearchVectorStoreChunkingStrategyStatic "
        "ToolResourcesFileSearchVectorStoreChunkingStrategyStaticStatic"
    ),
    "beta.thread_update_params": "ToolResources ToolResourcesCodeInterpreter ToolResourcesFileSearch",
    "beta.threads.message_create_params": "Attachment AttachmentTool AttachmentToolFileSearch",
    "beta.threads.run_create_params": (
        "AdditionalMessage AdditionalMessageAttachment AdditionalMessageAttachmentTool "
        "AdditionalMessageAttachmentToolFileSearch TruncationStrategy"
    ),
    "beta.threads.run_submit_tool_outputs_params": "ToolOutput",
    "chat.completion_create_params": (
        "Function FunctionCall Moderation ModerationPolicy ModerationPolicyInput "
        "ModerationPolicyOutput PromptCacheOptions ResponseFormat WebSearchOptions "
        "WebSearchOptionsUserLocation WebSearchOptionsUserLocationApproximate"
    ),
    "container_create_params": "ExpiresAfter NetworkPolicy Skill",
    "eval_create_params": (
        "DataSourceConfig DataSourceConfigCustom DataSourceConfigLogs "
        "DataSourceConfigStoredCompletions TestingCriterion TestingCriterionLabelModel "
        "TestingCriterionLabelModelInput TestingCriterionLabelModelInputEvalItem "
        "TestingCriterionLabelModelInputEvalItemContent "
        "TestingCriterionLabelModelInputEvalItemContentInputImage "
        "TestingCriterionLabelModelInputEvalItemContentOutputText "
        "TestingCriterionLabelModelInputSimpleInputMessage TestingCriterionPython "
        "TestingCriterionScoreModel TestingCriterionTextSimilarity"
    ),
    "evals.run_create_params": (
        "DataSource DataSourceCreateEvalResponsesRunDataSource "
        "DataSourceCreateEvalResponsesRunDataSourceInputMessages "
        "DataSourceCreateEvalResponsesRunDataSourceInputMessagesItemReference "
        "DataSourceCreateEvalResponsesRunDataSourceInputMessagesTemplate "
        "DataSourceCreateEvalResponsesRunDataSourceInputMessagesTemplateTemplate "
        "DataSourceCreateEvalResponsesRunDataSourceInputMessagesTemplateTemplateChatMessage "
        "DataSourceCreateEvalResponsesRunDataSourceInputMessagesTemplateTemplateEvalItem "
        "DataSourceCreateEvalResponsesRunDataSourceInputMessagesTemplateTemplateEvalItemContent "
        "DataSourceCreateEvalResponsesRunDataSourceInputMessagesTemplateTemplateEvalItemContentInputImage "
        "DataSourceCreateEvalResponsesRunDataSourceInputMessagesTemplateTemplateEvalItemContentOutputText "
        "DataSourceCreateEvalResponsesRunDataSourceSamplingParams "
        "DataSourceCreateEvalResponsesRunDataSourceSamplingParamsText "
        "DataSourceCreateEvalResponsesRunDataSourceSource "
        "DataSourceCreateEvalResponsesRunDataSourceSourceFileContent "
        "DataSourceCreateEvalResponsesRunDataSourceSourceFileContentContent "
        "DataSourceCreateEvalResponsesRunDataSourceSourceFileID "
        "DataSourceCreateEvalResponsesRunDataSourceSourceResponses"
    ),
    "file_create_params": "ExpiresAfter",
    "fine_tuning.alpha.grader_run_params": "Grader",
    "fine_tuning.alpha.grader_validate_params": "Grader",
    "fine_tuning.job_create_params": "Hyperparameters Integration IntegrationWandb Method",
    "image_edit_params": "Svg SvgReasoning",
    "image_generate_params": "Svg SvgReasoning",
    "realtime.client_secret_create_params": "ExpiresAfter Session",
    "responses.input_token_count_params": "Conversation Text ToolChoice ToolChoiceSpecificProgrammaticToolCallingParam",
    "responses.response_compact_params": "Image PromptCacheOptions",
    "responses.response_create_params": (
        "AccessPrograms BackgroundOptions ContextManagement Conversation Image Moderation "
        "ModerationPolicy ModerationPolicyInput ModerationPolicyOutput PromptCacheOptions "
        "StreamOptions ToolChoice ToolChoiceSpecificProgrammaticToolCallingParam"
    ),
    "upload_create_params": "ExpiresAfter",
    "vector_store_create_params": "ExpiresAfter",
    "vector_store_search_params": "Filters RankingOptions",
    "vector_store_update_params": "ExpiresAfter",
    "vector_stores.file_batch_create_params": "File",
    "video_create_params": "InputReference",
    "video_edit_params": "Video VideoVideoReferenceInputParam",
    "video_extend_params": "Video VideoVideoReferenceInputParam",
}
