#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seed inputs taken from the repository's own
# fixtures under core/tests/data. Safe to rerun: files are named by the SHA-1
# of their contents (as libFuzzer names them), so nothing is duplicated.
#
# Needs: bash, python3 (standard library only).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="$here/../core/tests/data"
corpus="$here/corpus"

exec python3 - "$data" "$corpus" <<'PY'
import gzip, hashlib, json, os, re, sys
from pathlib import Path

data, corpus = Path(sys.argv[1]), Path(sys.argv[2])

TARGETS = ["hot_decode", "market", "user", "ws_api", "rest",
           "exchange_info", "message", "decimal"]
# Seeds bigger than this go only to the targets that parse whole documents of
# that size (exchangeInfo); elsewhere they would only raise libFuzzer's
# default -max_len and slow every run down.
BIG = 64 * 1024
BIG_TARGETS = {"exchange_info", "message"}

seeds = set()      # JSON documents / frames
decimals = set()   # decimal strings, for the `decimal` target

def read(p):
    b = p.read_bytes()
    return gzip.decompress(b) if p.suffix == ".gz" else b

def add(b):
    b = b.strip()
    if b:
        seeds.add(b)

def add_json_value(v):
    add(json.dumps(v, separators=(",", ":")).encode())

def walk_examples(v):
    """The *.examples.json files are lists of {"raw": "...", "json": ...}."""
    if isinstance(v, list) and v and all(isinstance(e, dict) and ("raw" in e or "json" in e) for e in v):
        for e in v:
            if isinstance(e.get("raw"), str):
                add(e["raw"].encode())
            if "json" in e and e["json"] is not None:
                add_json_value(e["json"])
        return True
    return False

def json_bodies(text):
    """JSON values inside a text fixture (e.g. Binance.Net's request/response
    .txt files): every line that starts a '{' or '[' block up to where it parses."""
    dec = json.JSONDecoder()
    i, out = 0, []
    while i < len(text):
        m = re.compile(r"^[ \t]*[\[{]", re.M).search(text, i)
        if not m:
            break
        start = m.end() - 1
        try:
            v, end = dec.raw_decode(text, start)
            out.append(text[start:end].encode())
            i = end
        except ValueError:
            i = m.end()
    return out

for p in sorted(data.rglob("*")):
    if not p.is_file():
        continue
    name = p.name
    try:
        raw = read(p)
    except OSError:
        continue
    if "/ticks/" in p.as_posix():
        # One frame per line, after a timestamp prefix; keep from the first '{'.
        for line in raw.splitlines():
            i = line.find(b"{")
            if i >= 0:
                add(line[i:])
        continue
    if name.endswith(".json") or name.endswith(".json.gz") or name.endswith(".jsonl"):
        add(raw)
        try:
            v = json.loads(raw)
        except ValueError:
            # Maybe JSON lines.
            for line in raw.splitlines():
                add(line)
            continue
        if not walk_examples(v):
            add_json_value(v)  # compact form too
            if isinstance(v, list):
                for e in v[:50]:
                    add_json_value(e)
        continue
    if name.endswith(".txt"):
        for b in json_bodies(raw.decode("utf-8", "replace")):
            add(b)

# Decimal strings seen in the fixtures, plus hand-picked edge cases.
dec_re = re.compile(rb'"(-?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)"')
for s in seeds:
    for m in dec_re.finditer(s):
        decimals.add(m.group(1))
decimals.update(x.encode() for x in [
    "0", "0.0", "1", "-1", "0.00000001", "-0.00000001", "0.000000001",
    "92233720368.54775807", "92233720368.54775808", "-92233720368.54775808",
    "1701411834604692317316873037.15884105727", "-1701411834604692317316873037.15884105728",
    "1e8", "1.", ".5", "+1", "--1", "00000000000000000000000000001.5", "1.2.3", " 1", "1 ",
])

def write(target, blobs):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    n = 0
    for b in blobs:
        f = d / hashlib.sha1(b).hexdigest()
        if not f.exists():
            f.write_bytes(b)
            n += 1
    print(f"{target}: {n} new seed(s), {len(os.listdir(d))} in corpus/{target}")

for t in TARGETS:
    if t == "decimal":
        # The fixtures hold thousands of near-identical prices; a few thousand
        # chosen by hash (stable between runs) cover the shapes just as well.
        write(t, sorted(decimals, key=lambda b: hashlib.sha1(b).digest())[:3000])
    else:
        write(t, sorted(s for s in seeds if len(s) <= BIG or t in BIG_TARGETS))
PY
