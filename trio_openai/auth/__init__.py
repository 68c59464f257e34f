"""Workload identity: short-lived OpenAI tokens for cloud workloads instead of API keys.

    from trio_openai.auth import K8sServiceAccountTokenProvider, WorkloadIdentity

    async with WorkloadIdentity(
        client_id="your-client-id",
        identity_provider_id="idp-123",
        service_account_id="sa-456",
        provider=K8sServiceAccountTokenProvider(),
    ) as identity, trio_openai.OpenAI(auth=identity) as client:
        ...

`WorkloadIdentity` is an `AuthProvider`: it gets a subject token from its provider (a
Kubernetes service-account token, Azure managed identity, a GCP ID token, or your own
`SubjectTokenProvider`), exchanges it for an access token (RFC 8693) and caches that until
shortly before it expires. A 401 from the API drops the token and the request is replayed
once with a new one.

`BedrockAuth` (AWS SigV4 through botocore, or a Bedrock API key) and `VertexAuth` (Google
access tokens through google-auth) reach OpenAI models on Amazon Bedrock and Google Vertex
AI; their libraries are optional extras, imported only when used.
"""

from ._bedrock import (
    BedrockAuth as BedrockAuth,
    bedrock_base_url as bedrock_base_url,
)
from ._errors import (
    SubjectTokenProviderError as SubjectTokenProviderError,
    WorkloadIdentityError as WorkloadIdentityError,
)
from ._providers import (
    AzureManagedIdentityTokenProvider as AzureManagedIdentityTokenProvider,
    GCPIDTokenProvider as GCPIDTokenProvider,
    K8sServiceAccountTokenProvider as K8sServiceAccountTokenProvider,
    SubjectTokenProvider as SubjectTokenProvider,
)
from ._vertex import (
    VertexAuth as VertexAuth,
    vertex_base_url as vertex_base_url,
)
from ._workload import (
    DEFAULT_TOKEN_URL as DEFAULT_TOKEN_URL,
    WorkloadIdentity as WorkloadIdentity,
)

__all__ = [
    "DEFAULT_TOKEN_URL",
    "AzureManagedIdentityTokenProvider",
    "BedrockAuth",
    "GCPIDTokenProvider",
    "K8sServiceAccountTokenProvider",
    "SubjectTokenProvider",
    "SubjectTokenProviderError",
    "VertexAuth",
    "WorkloadIdentity",
    "WorkloadIdentityError",
    "bedrock_base_url",
    "vertex_base_url",
]
