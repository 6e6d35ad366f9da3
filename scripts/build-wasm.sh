#!/usr/bin/env bash
# Builds wasm/dl-kernels-simd128.wasm and wasm/dl-kernels-relaxed.wasm from csrc/ with clang-16 +
# lld-16. Byte-for-byte reproducible: fixed flags, paths mapped to ".", no producers section, and
# nothing time- or machine-dependent in the inputs (src/engine/kernels/build.test.ts checks it).
#   usage: scripts/build-wasm.sh [OUT_DIR]   (default: wasm/)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/wasm}"
CLANG="${CLANG:-clang-16}"
if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "build-wasm: $CLANG not found (Debian: apt-get install clang-16 lld-16)" >&2
  exit 1
fi
mkdir -p "$out"
cd "$root"
# Shared memory (threads) needs atomics + bulk-memory; 32768 pages = 2 GiB is the most the
# memory may grow to (it starts small). The kernels use no stack memory (checked below), so all
# instances may share the one stack region the linker lays out. -disable-lsr: loop strength
# reduction turns the micro-kernel's constant load offsets into separate address computations,
# which V8 then pays an instruction for on every load.
common=(--target=wasm32-unknown-unknown -std=c11 -O3 -nostdlib -ffreestanding
  -fno-exceptions -fvisibility=hidden -ffile-prefix-map="$root"=. -Wall -Wextra -Werror
  -Wno-unused-function -matomics -mbulk-memory -msimd128
  -mllvm -disable-lsr
  -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=2147483648
  -Wl,-z,stack-size=65536 -Wl,--export=__heap_base -Wl,--strip-all)
build() { # name, extra flags...
  local name="$1"; shift
  "$CLANG" "${common[@]}" "$@" csrc/dl_kernels.c -o "$out/$name.tmp"
  if llvm-objdump-16 -d "$out/$name.tmp" 2>/dev/null | grep -q "global.get.*__stack_pointer\|global.set"; then
    echo "build-wasm: $name uses the shadow stack; the thread pool cannot share it" >&2
    exit 1
  fi
  mv "$out/$name.tmp" "$out/$name.wasm"
  echo "build-wasm: wrote $out/$name.wasm ($(wc -c <"$out/$name.wasm") bytes)"
}
# the two builds are independent: run them side by side
build dl-kernels-simd128 & simd=$!
build dl-kernels-relaxed -mrelaxed-simd -DDL_RELAXED_SIMD & relaxed=$!
wait "$simd" && wait "$relaxed"
