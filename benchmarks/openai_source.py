"""A fast OpenAI-compatible streaming server, run in its own process by ``bench_relay.py``.

Plain asyncio streams and pre-built bytes, so that it costs far less than whatever reads
it. ``POST /d<ms>/v1/chat/completions`` streams ``--chunks`` content chunks ``<ms>`` apart
(``/d0/`` = no delay), then a finish chunk, a usage chunk and ``[DONE]``, with chunked
transfer encoding and keep-alive, as real servers do. ``GET /d<ms>/v1/models`` lists one model.

Run: ``python benchmarks/openai_source.py --port 8123 [--chunks 50]``; prints ``ready`` when listening.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re

_DELAY = re.compile(rb"/d(\d+)/")


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _sse(obj: dict[str, object]) -> bytes:
    return _chunk(b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n")


def build_answer(chunks: int) -> tuple[bytes, list[bytes], bytes]:
    """(response head, one piece per content chunk, the tail), all ready to write."""
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": "bench"}
    pieces = [
        _sse({**base, "choices": [{"index": 0, "delta": {"content": f"tok{i} "}, "finish_reason": None}]})
        for i in range(chunks)
    ]
    usage = {"prompt_tokens": 3, "completion_tokens": chunks, "total_tokens": chunks + 3}
    tail = (
        _sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        + _sse({**base, "choices": [], "usage": usage})
        + _chunk(b"data: [DONE]\n\n")
        + b"0\r\n\r\n"
    )
    return head, pieces, tail


async def serve(port: int, chunks: int) -> None:
    head, pieces, tail = build_answer(chunks)
    models = json.dumps({"object": "list", "data": [{"id": "bench", "object": "model"}]}).encode()
    models_answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(models),
        models,
    )

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                lower = request.lower()
                length = re.search(rb"content-length:\s*(\d+)", lower)
                if length:
                    await reader.readexactly(int(length.group(1)))
                if request.startswith(b"GET"):
                    writer.write(models_answer)
                else:
                    match = _DELAY.search(request.split(b" ", 2)[1])
                    delay = int(match.group(1)) / 1000 if match else 0.0
                    writer.write(head)
                    for piece in pieces:
                        if delay:
                            await asyncio.sleep(delay)
                        writer.write(piece)
                    writer.write(tail)
                await writer.drain()
                if b"connection: close" in lower:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", port, backlog=4096)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--chunks", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.chunks))


if __name__ == "__main__":
    main()
