"""Buckets: upload documents and media, extract their text with progress, ground chats in them.

One framework-free service shared by the HTTP routes, the notebook widget and the chat
runner; doors import from here only. On disk: :mod:`.layout` (paths), :mod:`.pending`
(``files.txt``), :mod:`.jobs` (download jobs and recorded sources), :mod:`.sections`
and :mod:`.cache` (``plain.cache``), :mod:`.locks`. Reading: :mod:`.ingest` orchestrates
:mod:`.steps` (one source), :mod:`.extract` (formats; XML and HTML streamed by
:mod:`.markup`) and :mod:`.archive` (the guard), within :mod:`.limits`;
:mod:`.retrieval` ranks chunks for :mod:`.grounding`.
"""

from ..settings import UploadLimits
from .contents import bucket_info, delete_bucket, media_path, media_source_url
from .grounding import ground_messages
from .ingest import ingest
from .layout import validate_bucket_id
from .limits import FilePart, check_upload_limits
from .progress import Done, Downloaded, FilesDeleted, Loaded, MediaFound, Progress, ReadFailed, ReadItem, TextChunk
from .upload import upload_files

__all__ = [
    "Done",
    "Downloaded",
    "FilePart",
    "FilesDeleted",
    "Loaded",
    "MediaFound",
    "Progress",
    "ReadFailed",
    "ReadItem",
    "TextChunk",
    "UploadLimits",
    "bucket_info",
    "check_upload_limits",
    "delete_bucket",
    "ground_messages",
    "ingest",
    "media_path",
    "media_source_url",
    "upload_files",
    "validate_bucket_id",
]
