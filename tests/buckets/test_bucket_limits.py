"""Upload limits (413, nothing left behind), rejected names and concurrent uploads to one bucket."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from g4f_jupyter.errors import PayloadTooLargeError
from g4f_jupyter.service.buckets import UploadLimits, bucket_info, upload_files
from g4f_jupyter.store.layout import bucket_dir


@pytest.fixture
def jp_server_config() -> dict:
    return {
        "ServerApp": {"jpserver_extensions": {"g4f_jupyter": True}},
        "G4FSettings": {"max_file_bytes": 2000, "max_bucket_bytes": 5000, "max_files_per_request": 4},
    }


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "bucket-locks" not in str(p))


@pytest.mark.asyncio
async def test_bucket_oversize_file_is_413_and_nothing_is_left(upload, g4f_data_dir) -> None:
    response = await upload("big", [("small.txt", b"ok"), ("huge.txt", b"x" * 2001)])
    assert response.code == 413
    assert "huge.txt" in json.loads(response.body)["error"]["message"]
    assert not bucket_dir("big").exists()
    assert _files(g4f_data_dir) == []


@pytest.mark.asyncio
async def test_bucket_total_limit_is_413_and_removes_this_request_only(upload, g4f_data_dir) -> None:
    assert (await upload("full", [("a.txt", b"a" * 1900), ("b.txt", b"b" * 1900)])).code == 200
    response = await upload("full", [("c.txt", b"c" * 1900)])
    assert response.code == 413 and "would hold" in json.loads(response.body)["error"]["message"]
    assert _files(bucket_dir("full")) == ["a.txt", "b.txt", "files.txt"]
    assert (bucket_dir("full") / "files.txt").read_text().split() == ["a.txt", "b.txt"]


@pytest.mark.asyncio
async def test_bucket_too_many_files_is_413(upload) -> None:
    response = await upload("many", [(f"f{i}.txt", b"x") for i in range(5)])
    assert response.code == 413 and "over the limit of 4" in json.loads(response.body)["error"]["message"]
    assert not bucket_dir("many").exists()


@pytest.mark.asyncio
async def test_bucket_rejected_names_are_named_with_reasons(upload) -> None:
    response = await upload(
        "names", [("../../etc/passwd.txt", b"p"), ("files.txt", b"x"), ("noext", b"?"), ("Résumé 2024.md", b"cv")]
    )
    answer = json.loads(response.body)
    assert answer["files"] == ["passwd.txt", "Resume_2024.md"]  # folded to one safe component
    reasons = {r["name"]: r["reason"] for r in answer["rejected"]}
    assert reasons == {
        "files.txt": "'files.txt' is a reserved name",
        "noext": "unsupported file type (no extension)",
    }
    assert (bucket_dir("names") / "passwd.txt").read_bytes() == b"p"


@pytest.mark.asyncio
async def test_bucket_concurrent_uploads_keep_every_entry(upload) -> None:
    responses = await asyncio.gather(*(upload("shared", [(f"part{i}.txt", f"Part {i}.".encode())]) for i in range(8)))
    assert [r.code for r in responses] == [200] * 8
    listed = (bucket_dir("shared") / "files.txt").read_text().split()
    assert sorted(listed) == sorted(f"part{i}.txt" for i in range(8))
    assert sorted(f["name"] for f in bucket_info("shared")["files"]) == sorted(listed)


def test_bucket_upload_limits_in_process() -> None:
    limits = UploadLimits(max_file_bytes=10, max_bucket_bytes=15, max_files=2)
    first = upload_files("p", [("a.txt", b"1234567890"), ("package-lock.json", b"{}")], limits)
    assert first["files"] == ["a.txt"] and first["rejected"][0]["name"] == "package-lock.json"
    with pytest.raises(PayloadTooLargeError):
        upload_files("p", [("b.txt", b"123456")], limits)
    # replacing a file counts its new size, not both
    assert upload_files("p", [("a.txt", b"12345")], limits)["files"] == ["a.txt"]
    assert bucket_info("p")["size"] == 5 + len("a.txt\n")
