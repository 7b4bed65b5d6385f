#!/usr/bin/env bash
# Builds every WASM plugin under plugins/ (each directory with a Cargo.toml,
# except plugins/sdk) for wasm32-wasip2 in release and copies each component
# to <repo root>/target/plugins/NAME.wasm, whatever CARGO_TARGET_DIR is.
# Checks that each output is a component (magic \0asm, layer 0d 00 01 00),
# prints its size and its top-level imports.
#
# Usage: tools/build-plugins.sh            (respects CARGO_TARGET_DIR)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

target=wasm32-wasip2
if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  echo "build-plugins: adding rust target $target"
  rustup target add "$target"
fi

# Small plugins: no debug info and stripped symbols (the root release
# profile keeps debug = 1 for the native binary; override it here only).
export CARGO_PROFILE_RELEASE_DEBUG=0
export CARGO_PROFILE_RELEASE_STRIP=symbols

build_dir="${CARGO_TARGET_DIR:-$root/target}"
out_dir="$root/target/plugins"
mkdir -p "$out_dir"

names=()
for manifest in plugins/*/Cargo.toml; do
  dir="$(dirname "$manifest")"
  [ "$(basename "$dir")" = sdk ] && continue
  name="$(sed -n 's/^name[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$manifest" | head -1)"
  if [ -z "$name" ]; then
    echo "build-plugins: FAILED: no package name in $manifest" >&2
    exit 1
  fi
  names+=("$name")
done
if [ "${#names[@]}" -eq 0 ]; then
  echo "build-plugins: FAILED: no plugin crates under plugins/" >&2
  exit 1
fi

for name in "${names[@]}"; do
  echo "== $name"
  if ! cargo build --release --locked --target "$target" -p "$name"; then
    echo "build-plugins: FAILED to build plugin '$name'" >&2
    exit 1
  fi
  src="$build_dir/$target/release/${name//-/_}.wasm"
  dst="$out_dir/$name.wasm"
  if [ ! -f "$src" ]; then
    echo "build-plugins: FAILED: plugin '$name' built but $src is missing" >&2
    exit 1
  fi
  cp "$src" "$dst"
  header="$(head -c 8 "$dst" | od -An -tx1 | tr -d ' \n')"
  if [ "$header" != "0061736d0d000100" ]; then
    echo "build-plugins: FAILED: $dst is not a WebAssembly component (header $header)" >&2
    exit 1
  fi
  size="$(wc -c < "$dst" | tr -d ' ')"
  imports="$(python3 "$root/tools/wasm-imports.py" "$dst")"
  echo "built $dst: $size bytes; imports: ${imports:-none}"
done
