"""Polling and upload helpers of generated resources (filled in by the polling work)."""

from __future__ import annotations

__all__ = [
    "BatchesExtras",
    "UploadsExtras",
    "VectorStoreFileBatchesExtras",
    "VectorStoreFilesExtras",
    "VideosExtras",
]


class VectorStoreFilesExtras:
    pass


class VectorStoreFileBatchesExtras:
    pass


class VideosExtras:
    pass


class BatchesExtras:
    pass


class UploadsExtras:
    pass
