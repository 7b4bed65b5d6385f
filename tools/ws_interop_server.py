#!/usr/bin/env python3
"""A third-party WebSocket server for kairos's interop test.

Serves the frames of an hftbacktest-format capture (`<ns> <json>` lines,
gzip or plain) over the PyPI `websockets` package, so that kairos's client is
checked against a WebSocket implementation that kairos did not write. The
capture's REST snapshot line is served at `/api/v3/depth` from the same
port. Every market frame is sent once per connection, in file order: the
first 20, then (once the client has fetched the snapshot, or after 5 s) the
rest, so that most diffs reach an already synced book. The connection then
stays open (the server pings) until the client closes it.

First stdout line: `listening ws=ws://127.0.0.1:PORT rest=http://127.0.0.1:PORT`.
"""
import asyncio
import gzip
import http
import sys

import websockets
from websockets.asyncio.server import serve


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    frames, snapshot = [], None
    with opener(path, "rt") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            _, _, msg = line.partition(" ")
            if msg.startswith('{"lastUpdateId"'):
                snapshot = msg
            else:
                frames.append(msg)
    return frames, snapshot


async def main():
    frames, snapshot = load(sys.argv[1])
    sent = {"connections": 0}
    snapshot_served = asyncio.Event()

    def process_request(connection, request):
        if request.path.startswith("/api/v3/depth"):
            if snapshot is None:
                return connection.respond(http.HTTPStatus.NOT_FOUND, "no snapshot\n")
            snapshot_served.set()
            resp = connection.respond(http.HTTPStatus.OK, snapshot)
            resp.headers["Content-Type"] = "application/json"
            return resp
        if not request.path.startswith("/stream"):
            return connection.respond(http.HTTPStatus.NOT_FOUND, "unknown path\n")
        return None

    async def handler(ws):
        sent["connections"] += 1
        for f in frames[:20]:
            await ws.send(f)
        try:
            await asyncio.wait_for(snapshot_served.wait(), 5)
        except asyncio.TimeoutError:
            pass
        # Give the client time to apply the snapshot before the flood.
        await asyncio.sleep(0.05)
        for f in frames[20:]:
            await ws.send(f)
        print(f"sent {len(frames)} frames", file=sys.stderr, flush=True)
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0, process_request=process_request,
                     ping_interval=1, max_size=2**20) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening ws=ws://127.0.0.1:{port} rest=http://127.0.0.1:{port}", flush=True)
        await asyncio.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 60)


if __name__ == "__main__":
    asyncio.run(main())
