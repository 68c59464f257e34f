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
"""

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
from ._workload import (
    DEFAULT_TOKEN_URL as DEFAULT_TOKEN_URL,
    WorkloadIdentity as WorkloadIdentity,
)

__all__ = [
    "DEFAULT_TOKEN_URL",
    "AzureManagedIdentityTokenProvider",
    "GCPIDTokenProvider",
    "K8sServiceAccountTokenProvider",
    "SubjectTokenProvider",
    "SubjectTokenProviderError",
    "WorkloadIdentity",
    "WorkloadIdentityError",
]
