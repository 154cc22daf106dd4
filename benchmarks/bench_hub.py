"""Many users: what the JupyterHub proxy adds to a streamed answer, and what a user's server costs in memory.

Starts the example hub (``hub/jupyterhub_config.py``) on loopback with one shared
``llama_cpp.server`` and one user, then prints:
- time to first content, through the hub's proxy (``/user/<name>/…`` on the hub's port) vs
  straight to the user's server, alternating, same prompt, same shared model;
- RSS of the user's ``jupyterhub-singleuser`` with the extension: idle, after chats on the
  shared model, and after one chat on the embedded model (loaded on first use).

    flock /tmp/g4f-cpu.lock .venv/bin/python benchmarks/bench_hub.py [--samples 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hub"))
from hubrig import hub, model_server, rss_bytes  # the tests' hub rig

MiB = 2**20
BODY = {"messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 4, "temperature": 0}


def first_content_ms(client: httpx.Client, path: str, **extra: object) -> float:
    """Milliseconds from sending the request to the first ``content`` event."""
    start = time.perf_counter()
    with client.stream("POST", path, json={**BODY, **extra}) as response:
        response.raise_for_status()
        lines = response.iter_lines()
        for line in lines:
            if '"type":"content"' in line:
                elapsed = (time.perf_counter() - start) * 1000
                for _ in lines:  # drain, so the next request starts on an idle model
                    pass
                return elapsed
    raise AssertionError("no content in the answer")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, model_server(Path(tmp)) as model_url:
        hub_dir = Path(tmp) / "hub"
        hub_dir.mkdir()
        with hub(hub_dir, model_url) as running:
            running.add_user("ann")
            pid = running.server_pid("ann")
            idle = rss_bytes(pid)
            path = "backend-api/v2/conversation"
            via_hub = running.client("ann")
            direct = running.client("ann", base=running.direct_url("ann"))
            first_content_ms(via_hub, f"user/ann/{path}")  # warm both paths and the model
            first_content_ms(direct, path)
            hub_ms, direct_ms = [], []
            for _ in range(args.samples):
                hub_ms.append(first_content_ms(via_hub, f"user/ann/{path}"))
                direct_ms.append(first_content_ms(direct, path))
            shared = rss_bytes(pid)
            first_content_ms(direct, path, provider="Local")
            embedded = rss_bytes(pid)
            for name, values in (("through the hub proxy", hub_ms), ("straight to the server", direct_ms)):
                q = statistics.quantiles(values, n=10)
                print(f"first content {name:24s} median {statistics.median(values):6.1f} ms  p90 {q[-1]:6.1f} ms")
            added = statistics.median(hub_ms) - statistics.median(direct_ms)
            print(f"proxy adds {added:+.1f} ms median ({statistics.median(hub_ms) / statistics.median(direct_ms):.2f}x)"
                  f" over {args.samples} alternating samples, shared llama_cpp.server, max_tokens=4")
            print(f"user server RSS: idle with the extension {idle / MiB:.0f} MiB; after shared-model chats "
                  f"{shared / MiB:.0f} MiB; with the embedded model loaded {embedded / MiB:.0f} MiB "
                  f"(+{(embedded - shared) / MiB:.0f} MiB)")
            via_hub.close()
            direct.close()


if __name__ == "__main__":
    main()
