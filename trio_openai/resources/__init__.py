"""API areas, loaded on first use (client.responses, client.files, ...).

The generated registry (`_registry.py`, written by codegen) maps each top-level attribute of
the client to the module and class implementing it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["load_resource"]


def _webhooks(client: Any) -> Any:
    from .._webhooks import Webhooks

    return Webhooks(client.webhook_secret)


def _realtime(client: Any) -> Any:
    from .._realtime import Realtime

    rest = _generated("realtime", client)
    return Realtime(client, rest=rest)


# Areas written by hand rather than generated (WebSocket sessions, webhook verification).
_HANDWRITTEN: dict[str, Callable[[Any], Any]] = {"realtime": _realtime, "webhooks": _webhooks}


def load_resource(name: str, client: Any) -> Any | None:
    """The resource object for ``client.<name>``, or None when there is no such area."""
    factory = _HANDWRITTEN.get(name)
    if factory is not None:
        return factory(client)
    return _generated(name, client)


def _generated(name: str, client: Any) -> Any | None:
    try:
        from ._registry import RESOURCES
    except ImportError:  # before the generator has run
        return None
    entry = RESOURCES.get(name)
    if entry is None:
        return None
    module_name, class_name = entry
    module = importlib.import_module(f"{__name__}.{module_name}")
    return getattr(module, class_name)(client)
