#!/usr/bin/env bash
# Makes a dated latency report of `kairos replay` on the shared BTCUSDT
# 2024-08-08/09 captures, and measures `wc -l` over the same decompressed
# bytes in the same run, for the throughput ratio.
#
# Usage: tools/latency-report.sh [OUT_DIR]
#   default OUT_DIR: latency-reports/<YYYY-MM-DD>_<cores>c-<cpu>
# Needs ../shared/data (or $KAIROS_SHARED_DATA) and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${KAIROS_SHARED_DATA:-../shared/data}"
a="$data/ticks/hftbacktest_binance_spot_BTCUSDT_ws_raw_20240808T2354_20240809T0000.jsonl.gz"
b="$data/ticks/hftbacktest_binance_spot_BTCUSDT_ws_raw_20240809T0000_20240809T0005.jsonl.gz"
if [ ! -f "$a" ] || [ ! -f "$b" ]; then
  echo "latency-report: the shared captures are absent ($data); nothing measured" >&2
  exit 1
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1 | tr -c 'A-Za-z0-9\n' '-' | tr -s '-' | sed 's/-$//')
out="${1:-latency-reports/$(date -u +%F)_$(nproc)c-${cpu:-cpu}}"
cargo build --release -q -p kairos-core
kairos="${CARGO_TARGET_DIR:-target}/release/kairos"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$kairos" convert --from hftbacktest "$a" "$b" --out "$work/btcusdt.kcap" > "$work/convert.txt" 2>&1
zcat "$a" "$b" > "$work/btcusdt.jsonl"
# The report first (the replay's own throughput pass), then wc -l and the
# replay again alternately, best of 5 each, so both see the same machine.
"$kairos" replay --input "$work/btcusdt.kcap" --report "$out" > "$work/replay.txt"
python3 - "$work" "$kairos" "$out" <<'PY'
import json, subprocess, sys, time
work, kairos, out = sys.argv[1:4]
jsonl, kcap = f"{work}/btcusdt.jsonl", f"{work}/btcusdt.kcap"
size = len(open(jsonl, 'rb').read())
wc, rp = [], []
for _ in range(5):
    t = time.perf_counter(); subprocess.run(['wc', '-l', jsonl], check=True, capture_output=True); wc.append(time.perf_counter() - t)
    r = subprocess.run([kairos, 'replay', '--input', kcap, '--report', f"{work}/r"], check=True, capture_output=True)
    rp.append(json.load(open(f"{work}/r/report.json")))
best_wc = min(wc)
best = max(rp, key=lambda j: j['events_per_s'])
res = {
    'decompressed_bytes': size,
    'wc_l_best_s': best_wc,
    'wc_l_bytes_per_s': size / best_wc,
    'replay_best_wall_s': best['wall_s'],
    'replay_best_events_per_s': best['events_per_s'],
    'replay_same_bytes_per_s': size / best['wall_s'],
    'ratio_replay_to_wc': best_wc / best['wall_s'],
    'note': 'wc -l time includes starting the process; replay wall_s is its uninstrumented pass over the memory-mapped native file (same records, converted). Both best of 5, alternated.',
}
json.dump(res, open(f"{out}/wc_comparison.json", 'w'), indent=2)
print(json.dumps(res, indent=2))
PY
cp "$work/convert.txt" "$out/convert.txt"
cat > "$out/README.md" <<EOF2
# Replay report $(basename "$out")

Made by \`tools/latency-report.sh\` at commit $(git rev-parse --short HEAD) on $(date -u +%FT%TZ).
Inputs: \`$(basename "$a")\` then \`$(basename "$b")\`, converted to one native capture
(\`convert.txt\`), replayed with \`kairos replay --input btcusdt.kcap --report DIR\`
(\`report.md\`, \`report.json\`, \`latency.svg\`). \`wc_comparison.json\`: \`wc -l\` over the same
decompressed bytes against the replay, best of 5 each, alternated, in the same run.
Machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr).
EOF2
cat "$work/replay.txt"
echo "report written to $out"
