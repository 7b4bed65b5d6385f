#!/usr/bin/env python3
"""A third-party client for `kairos sim`: the PyPI `websockets` package.

Usage: ws_interop_client.py WS_URL REST_URL [SYMBOL]

1. connects to WS_URL/stream?streams=<sym>@depth@100ms (combined envelope),
   reads depth frames, then SUBSCRIBEs to <sym>@trade on the same connection
   and reads until it has seen the ack and a trade;
2. connects to WS_URL/ws, SUBSCRIBEs to <sym>@bookTicker, reads bare frames;
3. GETs REST_URL/api/v3/depth (no proxy).
Server pings are answered by `websockets` itself (its own pings are off).
Prints one JSON line summarising what it received; exits 1 on any failure.
"""

import asyncio
import json
import sys
import urllib.request

import websockets

FRAMES = 10
TIMEOUT_S = 10
HOLD_S = 1.0  # reading this long lets a sim with --ping-interval 0.4 ping us


async def recv_json(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))


async def combined(ws_url, sym):
    out = {"streams": [], "depth_frames": 0, "trade_frames": 0, "ack": None}
    url = f"{ws_url}/stream?streams={sym}@depth@100ms"
    async with websockets.connect(url, ping_interval=None, max_size=2**24) as ws:
        while out["depth_frames"] < FRAMES:
            m = await recv_json(ws)
            assert m["data"]["e"] == "depthUpdate", m
            out["depth_frames"] += 1
            out["streams"].append(m["stream"])
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": [f"{sym}@trade"], "id": 7}))
        for _ in range(100_000):
            m = await recv_json(ws)
            if "id" in m:
                out["ack"] = m
            elif m.get("stream") == f"{sym}@trade":
                assert m["data"]["e"] == "trade", m
                out["trade_frames"] += 1
            if out["ack"] is not None and out["trade_frames"] >= 1:
                break
        # Stay a while so that the server's pings reach us and are answered.
        loop = asyncio.get_running_loop()
        end = loop.time() + HOLD_S
        while loop.time() < end:
            try:
                await asyncio.wait_for(ws.recv(), max(0.0, end - loop.time()))
            except asyncio.TimeoutError:
                break
    out["streams"] = sorted(set(out["streams"]))
    return out


async def bare(ws_url, sym):
    out = {"ack": None, "bare_frames": 0, "has_envelope": False}
    async with websockets.connect(f"{ws_url}/ws", ping_interval=None) as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": [f"{sym}@bookTicker"], "id": 1}))
        out["ack"] = await recv_json(ws)
        while out["bare_frames"] < FRAMES:
            m = await recv_json(ws)
            out["has_envelope"] |= "stream" in m
            out["bare_frames"] += 1
    return out


def rest_depth(rest_url, symbol):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{rest_url}/api/v3/depth?symbol={symbol}&limit=5", timeout=TIMEOUT_S) as r:
        body = json.loads(r.read())
        return {
            "status": r.status,
            "weight": r.headers.get("X-MBX-USED-WEIGHT-1M"),
            "last_update_id": body["lastUpdateId"],
            "bids": len(body["bids"]),
        }


async def main():
    ws_url, rest_url = sys.argv[1], sys.argv[2]
    symbol = sys.argv[3] if len(sys.argv) > 3 else "BTCUSDT"
    sym = symbol.lower()
    summary = {
        "websockets": websockets.__version__,
        "combined": await combined(ws_url, sym),
        "bare": await bare(ws_url, sym),
        "rest": rest_depth(rest_url, symbol),
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as e:  # one line the Rust test can show
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)
        sys.exit(1)
