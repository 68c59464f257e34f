"""Where the OpenAPI spec is: $OPENAPI_SPEC, else ../shared beside the repository, else the
machine's shared folder (for clones made elsewhere, as CI's)."""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def spec_path(suffix: str = ".json") -> Path:
    env = os.environ.get("OPENAPI_SPEC")
    if env:
        return Path(env).with_suffix(suffix)
    for base in (_ROOT.parent / "shared", Path("/work/shared")):
        candidate = base / "openapi" / f"openapi{suffix}"
        if candidate.exists():
            return candidate
    raise FileNotFoundError("OpenAPI spec not found: set OPENAPI_SPEC")
