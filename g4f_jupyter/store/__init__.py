"""The data directory: safe names, atomic writes and locked appends.

The kernel and the Jupyter server are two processes on one directory; everything here
keeps readers from ever seeing half a file.
"""

from .atomic import append_jsonl, atomic_write_bytes, atomic_write_json, atomic_write_text
from .paths import safe_name, safe_path

__all__ = ["append_jsonl", "atomic_write_bytes", "atomic_write_json", "atomic_write_text", "safe_name", "safe_path"]
