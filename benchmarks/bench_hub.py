"""Many users: what the JupyterHub proxy adds to a streamed answer, and what a user's server costs in memory.

Starts the example hub (``hub/jupyterhub_config.py``) on loopback with one shared
``llama_cpp.server`` and one user, then prints:
- time to first content, through the hub's proxy (``/user/<name>/…`` on the hub's port) vs
  straight to the user's server, alternating, same prompt, same shared model;
- RSS of the user's ``jupyterhub-singleuser`` with the extension: idle, after chats on the
  shared model, and after one chat on the embedded model (loaded on first use).

    flock /tmp/g4f-cpu.lock .venv/bin/python benchmarks/bench_hub.py [--samples 20]

With ``--users N`` it measures many users instead: N users on the hub (local spawner), all
spawned at once (time until every server is ready), then 2 concurrent streams each (2N in one
burst) from one shared OpenAI-compatible source (``openai_source.py``, 50 chunks 20 ms apart)
through the hub's proxy, the same 2N streams straight to the users' servers, and read straight
from the source; the load client (``hub_load.py``) runs in its own process. Printed: total p50/p99
of each, errors, CPU and RSS of the hub, the proxy and the users' servers, and what would give
out first at ten times the users, worked out from these figures.

    flock /tmp/g4f-cpu.lock .venv/bin/python benchmarks/bench_hub.py --users 50
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hub"))
from hubrig import Hub, free_port, hub, model_server, rss_bytes  # the tests' hub rig

HERE = Path(__file__).resolve().parent

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


CHAT = json.dumps({"messages": [{"role": "user", "content": "hi"}], "provider": "HubModel", "model": "bench"})
SOURCE_CHAT = json.dumps({"model": "bench", "messages": [{"role": "user", "content": "hi"}], "stream": True})
TICK = os.sysconf("SC_CLK_TCK")


def raw_post(path: str, body: str, token: str | None = None) -> str:
    auth = f"Authorization: token {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\n"
            f"Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n{body}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def hub_pid(workdir: Path) -> int:
    """The jupyterhub process started with this run's config file."""
    config = str(workdir / "jupyterhub_test_config.py").encode()
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and config in (proc / "cmdline").read_bytes():
                return int(proc.name)
        except OSError:
            continue
    raise RuntimeError("no jupyterhub process")


def burst(streams: list[dict[str, Any]], marker: str, end: str) -> dict[str, Any]:
    job = {"streams": streams, "marker": marker, "end": end, "expect": 50}
    done = subprocess.run([sys.executable, str(HERE / "hub_load.py"), json.dumps(job)],
                          capture_output=True, check=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def spawn_all(running: Hub, names: list[str]) -> float:
    """Create the users, ask for every server at once, wait until all are ready; seconds taken."""
    started = time.perf_counter()
    running.admin.post("hub/api/users", json={"usernames": names}).raise_for_status()
    for name in names:
        assert running.admin.post(f"hub/api/users/{name}/server").status_code in (201, 202)
    waiting = set(names)
    while waiting:
        users = running.admin.get("hub/api/users", params={"state": "ready", "limit": 1000}).json()
        waiting -= {u["name"] for u in users}
        if time.perf_counter() - started > 1800:
            raise RuntimeError(f"not ready after 30 min: {sorted(waiting)[:5]}")
        time.sleep(1)
    return time.perf_counter() - started


def many_users(count: int) -> None:
    names = [f"u{i:03d}" for i in range(count)]
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        command = [sys.executable, str(HERE / "openai_source.py"), "--port", str(port), "--chunks", "50"]
        source = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            assert source.stdout is not None and source.stdout.readline().strip() == "ready"
            workdir = Path(tmp) / "hub"
            workdir.mkdir()
            with hub(workdir, f"http://127.0.0.1:{port}/d20/v1") as running:
                measure_many(running, workdir, names, port)
        finally:
            source.kill()
            source.wait()


def measure_many(running: Hub, workdir: Path, names: list[str], source_port: int) -> None:
    hub_process = hub_pid(workdir)
    proxy = int((running.state / "proxy.pid").read_text())
    hub_cpu0 = cpu_seconds(hub_process)
    spawn_s = spawn_all(running, names)
    hub_spawn_cpu = cpu_seconds(hub_process) - hub_cpu0
    tokens = {n: running.admin.post(f"hub/api/users/{n}/tokens", json={"note": "bench"}).json()["token"] for n in names}
    servers = {n: running.server_pid(n) for n in names}
    hub_port = int(running.url.rsplit(":", 1)[1].strip("/"))
    via_hub = [{"port": hub_port, "request": raw_post(f"/user/{n}/backend-api/v2/conversation", CHAT, tokens[n])}
               for n in names for _ in range(2)]
    direct: list[dict[str, Any]] = []
    for n in names:
        base = running.direct_url(n)  # http://127.0.0.1:<port>/user/<n>/
        server_port = int(base.split(":")[2].split("/")[0])
        direct += [{"port": server_port, "request": raw_post(f"/user/{n}/backend-api/v2/conversation", CHAT, tokens[n])}
                   for _ in range(2)]
    from_source = [{"port": source_port, "request": raw_post("/d20/v1/chat/completions", SOURCE_CHAT)}
                   for _ in range(2 * len(names))]
    idle_rss = [rss_bytes(pid) for pid in servers.values()]
    burst(via_hub[::2], '"type":"content"', '"type":"finish"')  # warm: one stream per user, not counted
    cpu_before = {"hub": cpu_seconds(hub_process), "proxy": cpu_seconds(proxy),
                  "servers": sum(cpu_seconds(p) for p in servers.values())}
    hub_run = burst(via_hub, '"type":"content"', '"type":"finish"')
    cpu_hub_path = {"hub": cpu_seconds(hub_process) - cpu_before["hub"],
                    "proxy": cpu_seconds(proxy) - cpu_before["proxy"],
                    "servers": sum(cpu_seconds(p) for p in servers.values()) - cpu_before["servers"]}
    server_cpu0 = sum(cpu_seconds(p) for p in servers.values())
    direct_run = burst(direct, '"type":"content"', '"type":"finish"')
    server_direct_cpu = sum(cpu_seconds(p) for p in servers.values()) - server_cpu0
    source_run = burst(from_source, '"content":"tok', "[DONE]")
    busy_rss = [rss_bytes(pid) for pid in servers.values()]
    report_many(len(names), spawn_s, hub_spawn_cpu, hub_run, direct_run, source_run, cpu_hub_path,
                server_direct_cpu, idle_rss, busy_rss, rss_bytes(hub_process), rss_bytes(proxy))


def report_many(users: int, spawn_s: float, hub_spawn_cpu: float, hub_run: dict[str, Any], direct_run: dict[str, Any],
                source_run: dict[str, Any], cpu: dict[str, float], server_direct_cpu: float, idle_rss: list[int],
                busy_rss: list[int], hub_rss: int, proxy_rss: int) -> None:
    streams = hub_run["streams"]
    print(f"{users} users, local spawner: all servers ready in {spawn_s:.1f} s ({spawn_s / users:.2f} s per user; "
          f"hub CPU while spawning {hub_spawn_cpu:.1f} s)")
    for name, run in (("through the hub proxy", hub_run), ("straight to the servers", direct_run),
                      ("straight from the source", source_run)):
        print(f"{streams} streams {name:25s} total p50 {run['total_p50']:.2f} s  p99 {run['total_p99']:.2f} s  "
              f"first content p50 {run['ttfc_p50'] * 1000:.0f} ms  errors {run['errors']}  wall {run['wall']:.2f} s"
              + (f"  ({run['error_sample']})" if run["errors"] else ""))
    print(f"through the hub vs from the source: total p50 {hub_run['total_p50'] / source_run['total_p50']:.2f}x, "
          f"p99 {hub_run['total_p99'] / source_run['total_p99']:.2f}x; vs straight to the servers: "
          f"p50 {hub_run['total_p50'] / direct_run['total_p50']:.2f}x")
    wall = hub_run["wall"]
    print(f"CPU during the {streams}-stream burst through the hub ({wall:.1f} s): hub {cpu['hub']:.2f} s, "
          f"proxy {cpu['proxy']:.2f} s ({cpu['proxy'] / wall:.0%} of a core), users' servers {cpu['servers']:.2f} s "
          f"together ({cpu['servers'] / streams * 1000:.0f} ms per stream; {server_direct_cpu / streams * 1000:.0f} ms "
          f"per stream without the proxy), load client {hub_run['cpu']:.2f} s")
    mib = 2**20
    print(f"RSS: hub {hub_rss / mib:.0f} MiB, proxy {proxy_rss / mib:.0f} MiB, a user's server median "
          f"{statistics.median(idle_rss) / mib:.0f} MiB idle, {statistics.median(busy_rss) / mib:.0f} MiB after the "
          f"bursts (max {max(busy_rss) / mib:.0f}), {sum(busy_rss) / mib / 1024:.1f} GiB for all {users}")
    scale = 500 / users
    proxy_core = cpu["proxy"] / wall * scale
    print(f"At 500 users on these figures: servers {sum(busy_rss) * scale / mib / 1024:.0f} GiB of RSS; spawning all "
          f"~{spawn_s * scale / 60:.0f} min on this machine's 2 cores (spawn CPU is the servers' own start-up, so it "
          f"spreads over nodes on Kubernetes); 1,000 streams at once would need {proxy_core:.1f} cores of "
          f"configurable-http-proxy, which is one Node.js process ({'over' if proxy_core > 1 else 'within'} one core), "
          f"and {cpu['servers'] * scale / wall:.1f} cores of users' servers (spread over their pods).")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--users", type=int, default=0, help="measure many users instead (e.g. 50)")
    args = parser.parse_args()
    if args.users:
        many_users(args.users)
        return
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
