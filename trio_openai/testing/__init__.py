"""A local OpenAI-compatible HTTP/1.1 server for tests, with scripted replies and real faults.

    from trio_openai.testing import Reply, open_local_server

    async with open_local_server() as server:
        server.script("POST", "/v1/files", Reply.error(500), Reply.json({"id": "file-1"}))
        ...  # point a client at server.base_url

Unscripted requests reach a deterministic "echo" model (chat completions, Responses, models).
With pytest-trio, the `local_server` fixture of `trio_openai.testing.pytest_plugin` yields a
started server; `python -m trio_openai.testing` runs one until Ctrl-C.
"""

from ._background import BackgroundResponses as BackgroundResponses, slow_replies as slow_replies
from ._batches import BatchService as BatchService
from ._cassette import (
    Cassette as Cassette,
    CassetteMismatchError as CassetteMismatchError,
    RecordMode as RecordMode,
    open_cassette as open_cassette,
)
from ._cassette_format import CassetteFormatError as CassetteFormatError
from ._cassette_server import (
    CassetteServer as CassetteServer,
    open_cassette_server as open_cassette_server,
)
from ._ratelimit import RateLimitBudget as RateLimitBudget, UsePoint as UsePoint
from ._reply import RecordedRequest as RecordedRequest, Reply as Reply
from ._server import LocalServer as LocalServer, open_local_server as open_local_server
from ._ws_cassette import WsCassetteServer as WsCassetteServer, open_ws_cassette as open_ws_cassette
from ._ws_server import (
    WebSocketTestServer as WebSocketTestServer,
    WsAction as WsAction,
    WsSession as WsSession,
    open_ws_server as open_ws_server,
)

__all__ = [
    "BackgroundResponses",
    "BatchService",
    "Cassette",
    "CassetteFormatError",
    "CassetteMismatchError",
    "CassetteServer",
    "LocalServer",
    "RateLimitBudget",
    "RecordMode",
    "RecordedRequest",
    "Reply",
    "UsePoint",
    "WebSocketTestServer",
    "WsAction",
    "WsCassetteServer",
    "WsSession",
    "open_cassette",
    "open_cassette_server",
    "open_local_server",
    "open_ws_cassette",
    "open_ws_server",
    "slow_replies",
]
