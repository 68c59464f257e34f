"""Google Vertex AI's OpenAI-compatible endpoint: OAuth tokens from google-auth.

    from trio_openai.auth import VertexAuth

    vertex = VertexAuth(project="my-project", location="us-central1")  # ADC
    async with trio_openai.OpenAI(base_url=vertex.base_url, auth=vertex) as client:
        await client.responses.create(model="openai/gpt-oss-120b-maas", input="Hi")

Tokens come from google-auth credentials (``pip install trio_openai[vertex]``): Application
Default Credentials unless ``credentials=`` is given. google-auth is synchronous, so the
discovery and every refresh run in a worker thread (`trio.to_thread`), one at a time under
a lock: concurrent requests that find the token expired wait for one refresh. The base URL
is openai-python's: ``https://{location}-aiplatform.googleapis.com/v1/projects/{project}/
locations/{location}/publishers/openai/v1`` (``aiplatform.googleapis.com`` for ``global``).
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol, final

import trio

from .._errors import OpenAIError

__all__ = ["VertexAuth", "vertex_base_url"]

CLOUD_PLATFORM_SCOPE: Final = "https://www.googleapis.com/auth/cloud-platform"
_PROJECT: Final = re.compile(r"[a-zA-Z0-9_-][a-zA-Z0-9_.:-]*")
_LOCATION: Final = re.compile(r"[a-z0-9-]+")


class GoogleCredentials(Protocol):
    """google-auth's ``google.auth.credentials.Credentials`` (the part used here)."""

    @property
    def token(self) -> str | None: ...
    @property
    def valid(self) -> bool: ...
    def refresh(self, request: Any) -> None: ...


def vertex_base_url(project: str, location: str) -> str:
    """The OpenAI-compatible base URL of Vertex AI for `project` in `location`."""
    if not _PROJECT.fullmatch(project):
        raise OpenAIError(f"VertexAuth: {project!r} is not a Google Cloud project id.")
    if not _LOCATION.fullmatch(location):
        raise OpenAIError(f"VertexAuth: {location!r} is not a location such as 'us-central1'.")
    host = (
        "aiplatform.googleapis.com"
        if location == "global"
        else f"{location}-aiplatform.googleapis.com"
    )
    return f"https://{host}/v1/projects/{project}/locations/{location}/publishers/openai/v1"


@final
class VertexAuth:
    """An `AuthProvider` for Vertex AI: ``Authorization: Bearer <google access token>``.

    ``project`` and ``location`` default to ``GOOGLE_CLOUD_PROJECT`` /
    ``GOOGLE_CLOUD_LOCATION`` (the project also to the one ADC reports); ``base_url``
    overrides the derived endpoint. After a 401 the token is refreshed and the request
    replayed once.
    """

    def __init__(
        self,
        *,
        project: str | None = None,
        location: str | None = None,
        credentials: GoogleCredentials | None = None,
        scopes: Sequence[str] = (CLOUD_PLATFORM_SCOPE,),
        base_url: str | None = None,
    ) -> None:
        self.project = project or os.environ.get("GOOGLE_CLOUD_PROJECT")
        self.location = location or os.environ.get("GOOGLE_CLOUD_LOCATION")
        if base_url is None:
            if not self.project or not self.location:
                raise OpenAIError(
                    "VertexAuth needs project=... and location=... (or GOOGLE_CLOUD_PROJECT "
                    "and GOOGLE_CLOUD_LOCATION), or base_url=...."
                )
            base_url = vertex_base_url(self.project, self.location)
        self.base_url = base_url
        self._credentials = credentials
        self._scopes = tuple(scopes)
        self._stale = False
        self._lock = trio.Lock()
        self.refreshes = 0  # how many token refreshes ran (for tests and statistics)

    def __repr__(self) -> str:
        return f"<VertexAuth project={self.project!r} location={self.location!r}>"

    async def auth_headers(self, *, admin: bool) -> Mapping[str, str]:
        credentials = self._credentials
        if credentials is None or self._stale or not credentials.valid:
            async with self._lock:  # one refresh for many waiting requests
                credentials = self._credentials
                if credentials is None or self._stale or not credentials.valid:
                    credentials = await trio.to_thread.run_sync(self._refresh)
        token = credentials.token
        if not token:
            raise OpenAIError("VertexAuth: google-auth returned no access token.")
        return {"Authorization": f"Bearer {token}"}

    def invalidate(self) -> bool | None:
        self._stale = True
        return True

    def _refresh(self) -> GoogleCredentials:
        """In a worker thread: discovery and refresh do blocking HTTP."""
        transport = _google("google.auth.transport.requests")
        credentials = self._credentials
        if credentials is None:
            google_auth = _google("google.auth")
            found, project = google_auth.default(scopes=list(self._scopes))
            credentials = found
            self.project = self.project or project
        credentials.refresh(transport.Request())
        self.refreshes += 1
        self._credentials = credentials
        self._stale = False
        return credentials


def _google(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise OpenAIError(
            "VertexAuth gets tokens from google-auth: pip install 'trio_openai[vertex]'."
        ) from None
