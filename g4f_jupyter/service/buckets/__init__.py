"""Buckets: upload documents and media, extract their text with progress, ground chats in them.

One framework-free service shared by the HTTP routes, the notebook widget and the chat
runner. Layout and limits live in :mod:`.store`, format parsers in :mod:`.extract`, the
streaming read in :mod:`.ingest`, chunk ranking in :mod:`.retrieval`.
"""

from .grounding import ground_messages
from .ingest import Progress, TextChunk, ingest
from .store import UploadLimits, bucket_info, delete_bucket
from .upload import upload_files

__all__ = [
    "UploadLimits",
    "upload_files",
    "ingest",
    "TextChunk",
    "Progress",
    "bucket_info",
    "delete_bucket",
    "ground_messages",
]
