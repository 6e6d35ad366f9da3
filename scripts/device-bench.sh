#!/usr/bin/env bash
# Issue 10's GPU measurements in ONE device call, on what travels alone: the tracked files plus
# .devcarry/ (node, dist/, runtime node_modules, native addon, data, Vulkan loader), which
# `bash scripts/device-kit.sh` builds here first. No npm, apt or network is needed there.
#
# The call (device tool `run`), after `bash scripts/device-kit.sh` here (~2 min the first time):
#   run(command="bash scripts/device-bench.sh", carry=[".devcarry"], timeout_s=600)
# then give_back at once unless rerunning a part (docs/gpu-device-run.md). Estimated device time of the
# full run: ~5-6 min of command plus 1-2 min machine start, of the session's 15.
#
# Phases, each under `timeout`, all within DL_KIT_BUDGET seconds (default 540, under the call's 600),
# so a hang still returns the log of what was done:
#   setup        unpack node to /tmp/dlkit/bin (first on PATH), the app into the repo, the data into
#                /tmp/dlkit/data (DL_DATA_PATH); dpkg -x the Vulkan loader into / unless present, ldconfig;
#                VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json where it exists
#   info         nvidia-smi, the Vulkan libraries and ICD files, torch, node -v, dl doctor
#   correctness  --device webgpu vs cpu, 2 epochs each of the bundled digits GRBM tutorial (400 steps,
#                the fused step) and of the bench's MNIST MLP on 2000 images (40 steps, op by op): the
#                final monitor channels side by side (flagged above 1e-3 relative; misclass rates
#                above 2e-3 absolute) -> correctness.json
#   gemm, mlp-epoch, grbm-epoch
#                `bench gpu --json --torch --tiles all` one part at a time (as one command when the
#                arguments hold --epochs or --no-gemm): GEMM 4096^3/8192^3 x every tile, the MNIST MLP
#                and the GRBM tutorial epochs, each beside its PyTorch CUDA twin -> gpu.jsonl
#   torch-gemm   PyTorch's fp32 cuBLAS GEMM (TF32 off) on the same sizes -> gpu.jsonl
#   gemm-norobust  GEMM again with DL_WEBGPU_DAWN_TOGGLES=disable_robustness -> gpu-norobust.jsonl
# then a table of every result, the issue's targets (met or not) and each phase's rc and seconds.
# Results come back in $OUT: device.log (all of it, timestamped), gpu.jsonl, gpu-norobust.jsonl,
# correctness.json. Extra arguments go to every bench run: e.g. `--steps 2000` or `--sizes 8192`.
#
# Environment: OUT (default /tmp/dlkit/out); DL_KIT_BUDGET; DL_KIT_CHECK_PATCHES (digits patches of the
# correctness check, default 1000: 200 steps an epoch, 2 epochs); DL_KIT_CHECK=0 skips that check and
# DL_KIT_NOROBUST=0 the second GEMM run (for a rerun of one part on a still-warm machine);
# DL_BENCH_PYTHON (default: the first python3 that imports torch; the device's is /opt/torch/.venv, not
# /usr/bin); DL_KIT_NO_ROOT_UNPACK=1 unpacks the Vulkan loader under /tmp/dlkit/root (LD_LIBRARY_PATH)
# instead of into / (a test off the device).
set -u -o pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
kit="$root/.devcarry"
work=/tmp/dlkit
export OUT="${OUT:-$work/out}"
mkdir -p "$OUT" "$work"
budget="${DL_KIT_BUDGET:-540}"
start=$(date +%s)
export root kit work

log() { echo "[$(date +%T) +$(($(date +%s) - start))s] $*"; }
export -f log
export start

phases=()
# phase NAME CAP FUNCTION [ARGS...]: FUNCTION in a child bash under `timeout`, for at most CAP seconds
# and never past the budget (20 s kept for the summary); its rc and time go into the phase table.
phase() {
  local name=$1 cap=$2
  shift 2
  local left=$((budget - ($(date +%s) - start) - 20))
  local t=$((cap < left ? cap : left))
  if [ "$t" -lt 5 ]; then
    log "=== $name: skipped, the ${budget} s budget is spent"
    phases+=("$name|skipped|0")
    return
  fi
  log "=== $name (at most ${t} s)"
  local t0 pid rc=0
  t0=$(date +%s)
  # timeout leads its own process group; on a timeout its bash dies at once but a `dl train` below
  # it stops gracefully (after its step, saving a checkpoint): end the whole group, by its id, now.
  timeout -k 10 "$t" bash -c '"$0" "$@"' "$@" &
  pid=$!
  wait "$pid" || rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    kill -KILL -- "-$pid" 2>/dev/null
    rc="TIMEOUT(${t}s)"
  fi
  log "=== $name: rc=$rc after $(($(date +%s) - t0)) s"
  phases+=("$name|$rc|$(($(date +%s) - t0))")
}

# unxz FILE: decompressed to stdout, by xz or, where the image lacks it, by python3's lzma.
unxz() {
  if command -v xz >/dev/null; then xz -dc -T0 "$1"; else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; fi
}
# The adapter Dawn picks (dl's own probe: a child process, so a driver crash or hang stays there).
adapter() {
  timeout 60 node --input-type=module -e "
const { probeAdapter } = await import('$root/dist/engine/backends/webgpu/probe.js');
const { describeAdapter } = await import('$root/dist/engine/backends/webgpu/device.js');
const p = await probeAdapter();
console.log(p.found ? describeAdapter(p.adapter) : 'none (' + p.why + ')');
process.exit(0);" 2>/dev/null || echo "none (the probe failed)"
}
export -f unxz adapter

# --- setup: node, the app, the data, the Vulkan loader (in this shell: it sets the environment) ---
setup() {
  local t0
  t0=$(date +%s)
  [ -f "$kit/MANIFEST" ] || { log "FATAL: $kit/MANIFEST missing: run scripts/device-kit.sh here and carry .devcarry"; return 1; }
  log "kit: $(head -1 "$kit/MANIFEST")"
  mkdir -p "$work/bin"
  if ! [ -x "$work/bin/node" ]; then
    timeout 120 bash -c 'unxz "$0"' "$kit/node.xz" >"$work/bin/node.tmp" && chmod +x "$work/bin/node.tmp" && mv "$work/bin/node.tmp" "$work/bin/node" ||
      { log "FATAL: could not unpack node"; return 1; }
  fi
  export PATH="$work/bin:$PATH"
  log "node $(node -v) at $(command -v node)"
  timeout 120 bash -c 'unxz "$0" | tar -xf - -C "$root"' "$kit/app.tar.xz" || { log "FATAL: could not unpack app.tar.xz"; return 1; }
  local want have
  want=$(sed -n 's/^src-digest //p' "$kit/MANIFEST")
  have=$(find src -name '*.ts' ! -name '*.test.ts' -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
  [ "$want" = "$have" ] || log "WARNING: dist/ in the kit was built from other sources (src digest $want, here $have): rerun scripts/device-kit.sh before the call"
  export DL_DATA_PATH="$work/data"
  mkdir -p "$DL_DATA_PATH"
  cp -r "$kit/data/mnist" "$DL_DATA_PATH/" &&
    timeout 120 bash -c 'unxz "$0" | tar -xf - -C "$DL_DATA_PATH"' "$kit/data/cifar10-subset.tar.xz" || { log "FATAL: could not unpack the data"; return 1; }
  log "data in $DL_DATA_PATH: $(cd "$DL_DATA_PATH" && find . -type f | LC_ALL=C sort | tr '\n' ' ')"
  # The Vulkan loader and libGLdispatch (NVIDIA's driver library links it), unless the image has them.
  local deb lib
  for deb in "$kit"/deb/*.deb; do
    case "$(basename "$deb")" in
      libvulkan1_*) lib=libvulkan.so.1 ;; libglvnd0_*) lib=libGLdispatch.so.0 ;; libegl1_*) lib=libEGL.so.1 ;;
      libopengl0_*) lib=libOpenGL.so.0 ;; libgl1_*) lib=libGL.so.1 ;; libglx0_*) lib=libGLX.so.0 ;; libgles2_*) lib=libGLESv2.so.2 ;;
      *) lib=none ;;
    esac
    if [ "${DL_KIT_NO_ROOT_UNPACK:-0}" = 1 ]; then
      dpkg -x "$deb" "$work/root" && log "unpacked $(basename "$deb") under $work/root"
    elif ldconfig -p | grep -q "$lib "; then
      log "$lib already installed: $(basename "$deb") not unpacked"
    else
      dpkg -x "$deb" / && log "unpacked $(basename "$deb") into /"
    fi
  done
  if [ "${DL_KIT_NO_ROOT_UNPACK:-0}" = 1 ]; then
    export LD_LIBRARY_PATH="$work/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  else
    ldconfig
  fi
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; fi
  # On an NVIDIA machine Dawn must find the NVIDIA driver, not a CPU one: else try each NVIDIA ICD file.
  if command -v nvidia-smi >/dev/null; then
    local a j
    a=$(adapter)
    log "adapter: $a${VK_DRIVER_FILES:+ (VK_DRIVER_FILES=$VK_DRIVER_FILES)}"
    if ! grep -qi nvidia <<<"$a"; then
      for j in $(find /usr/local/nvidia /usr/share/vulkan /etc/vulkan /usr/local/share/vulkan -name '*nvidia*.json' 2>/dev/null); do
        a=$(VK_DRIVER_FILES="$j" adapter)
        log "adapter with VK_DRIVER_FILES=$j: $a"
        if grep -qi nvidia <<<"$a"; then export VK_DRIVER_FILES="$j"; break; fi
      done
      grep -qi nvidia <<<"$a" || log "WARNING: Dawn finds no NVIDIA adapter; the results below are not the H200's"
    fi
  fi
  # Debian's /usr/bin/python3 may lack torch where another python3 (e.g. /opt/torch/.venv) has it.
  if [ -z "${DL_BENCH_PYTHON:-}" ]; then
    local py
    for py in $(type -ap python3) /opt/torch/.venv/bin/python3 /usr/bin/python3; do
      if [ -x "$py" ] && timeout 120 "$py" -c 'import torch' 2>/dev/null; then export DL_BENCH_PYTHON="$py"; break; fi
    done
  fi
  log "setup done in $(($(date +%s) - t0)) s"
}

info() {
  echo "--- machine"; uname -a; nproc; head -2 /etc/os-release 2>/dev/null
  echo "--- nvidia-smi"; timeout 30 nvidia-smi 2>&1 || echo "(no nvidia-smi)"
  echo "--- vulkan"; ldconfig -p | grep -i vulkan || echo "(no libvulkan in ldconfig)"
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-} VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"
  local j
  for j in ${VK_DRIVER_FILES:-} /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json /usr/local/nvidia/share/vulkan/icd.d/*.json; do
    [ -f "$j" ] && echo "$j: $(tr -d ' \n' <"$j" | head -c 300)"
  done
  echo "--- torch: ${DL_BENCH_PYTHON:-none found}"
  [ -n "${DL_BENCH_PYTHON:-}" ] && timeout 120 "$DL_BENCH_PYTHON" -c 'import torch; print(torch.__version__, "cuda", torch.cuda.is_available() and torch.cuda.get_device_name(0))'
  echo "--- node $(node -v); dl doctor"
  timeout 120 node bin/dl.js doctor
}

# The bundled offline GRBM tutorial (configs/digits_grbm_smd.yaml) and the bench's MNIST MLP, each
# for 2 short epochs on the GPU and on the CPU: the final monitor channels must agree.
correctness() {
  local d="$work/check" dev model
  rm -rf "$d" && mkdir -p "$d/grbm" "$d/mlp"
  # The GRBM tutorial runs the fused step (2 kernels); the MLP runs op by op (GEMM tiles, momentum,
  # reductions, softmax): between them, every kernel the benches time.
  node bin/dl.js make-dataset digits-patches --num-patches "${DL_KIT_CHECK_PATCHES:-1000}" --out "$d/grbm/digits_preprocessed_train.pkl" || return 1
  cp configs/digits_grbm_smd.yaml "$d/grbm/model.yaml"
  node --input-type=module -e "import('$root/dist/bench/epochs.js').then(({ MLP_YAML }) => process.stdout.write(MLP_YAML(process.env.DL_DATA_PATH, 2000, 'mlp.pkl')))" >"$d/mlp/model.yaml" || return 1
  for model in grbm mlp; do
    for dev in cpu webgpu; do
      mkdir -p "$d/$model/$dev" && cp "$d/$model/"*.yaml "$d/$model/$dev/" && { cp "$d/$model/"*.pkl "$d/$model/$dev/" 2>/dev/null || true; }
      (cd "$d/$model/$dev" && node "$root/bin/dl.js" train model.yaml --device "$dev" --quiet --log-json log.jsonl \
        "algorithm.termination_criterion=!obj:pylearn2.termination_criteria.EpochCounter {max_epochs: 2}") || return 1
      log "correctness: $model --device $dev trained ($(wc -l <"$d/$model/$dev/log.jsonl") monitoring steps)"
    done
  done
  node - "$d" "$OUT/correctness.json" <<'EOF'
const fs = require("node:fs");
const [dir, out] = process.argv.slice(2);
const last = (f) => { const l = fs.readFileSync(f, "utf8").trim().split("\n"); return { n: l.length, rec: JSON.parse(l[l.length - 1]) }; };
const result = { ok: true };
for (const model of ["grbm", "mlp"]) {
  const c = last(`${dir}/${model}/cpu/log.jsonl`), g = last(`${dir}/${model}/webgpu/log.jsonl`);
  const rows = [];
  for (const [k, cv] of Object.entries(c.rec.channels)) {
    if (k.includes("seconds")) continue;
    const gv = g.rec.channels[k];
    // A misclassification rate moves in steps of one example: compared absolutely (a few examples of 2000).
    const misclass = k.includes("misclass");
    const rel = misclass ? Math.abs(gv - cv) : Math.abs(gv - cv) / Math.max(Math.abs(cv), 1e-12);
    rows.push({ channel: k, cpu: cv, webgpu: gv, rel, ok: Number.isFinite(gv) && rel <= (misclass ? 2e-3 : 1e-3) });
  }
  rows.sort((a, b) => b.rel - a.rel);
  const worst = rows.length ? rows[0].rel : NaN;
  const ok = c.n === g.n && c.rec.batches === g.rec.batches && rows.length > 0 && rows.every((r) => r.ok);
  for (const r of rows) console.log(`  ${model} ${r.channel.padEnd(34)} cpu ${String(r.cpu).padEnd(22)} webgpu ${String(r.webgpu).padEnd(22)} diff ${r.rel.toExponential(2)}`);
  console.log(`correctness ${model}: ${c.rec.batches} steps, ${c.n} monitoring steps each; largest difference ${worst.toExponential(2)} (${rows[0]?.channel}): ${ok ? "OK (relative <= 1e-3; misclass within 2e-3)" : "FLAGGED"}`);
  result[model] = { ok, steps: c.rec.batches, monitoringSteps: [c.n, g.n], maxDiff: worst, channels: rows };
  result.ok &&= ok;
}
fs.writeFileSync(out, JSON.stringify(result, null, 1) + "\n");
process.exitCode = result.ok ? 0 : 3;
EOF
}

# bench OUTFILE ARGS...: `npm run bench -- gpu ARGS` without npm; JSON lines to OUTFILE and the log.
bench() {
  set -o pipefail
  local file=$1
  shift
  log "node --expose-gc bin/bench.js gpu $* >> $(basename "$file")"
  node --expose-gc bin/bench.js gpu "$@" | tee -a "$file"
}

# PyTorch's fp32 GEMM (cuBLAS, TF32 off: plain fp32 like dl's kernels) on the same sizes, as the
# reference next to dl's GEMM in the same run; a "gemm-pytorch" JSON line per size.
torch_gemm() {
  set -o pipefail
  [ -n "${DL_BENCH_PYTHON:-}" ] || { echo "torch-gemm: no python3 with torch"; return 0; }
  "$DL_BENCH_PYTHON" - "$1" <<'EOF' | tee -a "$OUT/gpu.jsonl"
import json, sys, torch
if not torch.cuda.is_available():
    print("torch-gemm: this PyTorch has no CUDA device", file=sys.stderr)
    sys.exit(0)
torch.backends.cuda.matmul.allow_tf32 = False
torch.set_float32_matmul_precision("highest")
name = torch.cuda.get_device_name(0)
for s in (int(v) for v in sys.argv[1].split(",")):
    g = torch.Generator(device="cuda").manual_seed(s)
    a = torch.rand(s, s, device="cuda", generator=g) * 2 - 1
    b = torch.rand(s, s, device="cuda", generator=g) * 2 - 1
    c = torch.empty(s, s, device="cuda")
    def batch(n):
        e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        e0.record()
        for _ in range(n):
            torch.mm(a, b, out=c)
        e1.record()
        e1.synchronize()
        return e0.elapsed_time(e1) / 1000 / n
    batch(3)
    n = max(1, min(50, round(0.3 / batch(1))))
    times = sorted(batch(n) for _ in range(5))
    print(json.dumps({"what": "gemm-pytorch", "adapter": name + " (PyTorch CUDA, fp32, TF32 off)", "m": s, "k": s, "n": s, "gflops": 2 * s ** 3 / times[2] / 1e9}), flush=True)
EOF
}

# A readable table of every result and the issue's targets, from the JSON lines (dist's own formatters).
summary() {
  node --input-type=module - "$OUT/gpu.jsonl" "$OUT/gpu-norobust.jsonl" <<EOF
import { existsSync, readFileSync } from "node:fs";
const { gpuTableLine, epochLine, GPU_TABLE_HEADER } = await import("$root/dist/bench/gpu.js");
const read = (f) => existsSync(f) ? readFileSync(f, "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)) : [];
const [main, norobust] = process.argv.slice(2).map(read);
const tf = (r) => !r ? "not measured" : (r.gflops >= 1000 ? (r.gflops / 1000).toFixed(2) + " TFLOP/s" : r.gflops.toFixed(1) + " GFLOP/s") + " (" + r.tile + ")";
const best = (rows, s) => rows.filter((r) => r.what === "gemm" && r.m === s).sort((a, b) => b.gflops - a.gflops)[0];
for (const [name, rows] of [["gpu.jsonl", main], ["gpu-norobust.jsonl (DL_WEBGPU_DAWN_TOGGLES=disable_robustness)", norobust]]) {
  console.log("--- " + name + (rows[0]?.adapter ? ": " + rows[0].adapter : ""));
  if (rows.some((r) => r.what === "gemm")) console.log(GPU_TABLE_HEADER);
  for (const r of rows) {
    if (r.what === "gemm") console.log(gpuTableLine(r));
    else if (r.what === "epoch") console.log(epochLine(r));
    else if (r.what === "gemm-pytorch") console.log((r.m + " x " + r.k + " x " + r.n).padEnd(20) + " " + "cuBLAS".padEnd(8) + " " + r.gflops.toFixed(1).padStart(8) + "  [" + r.adapter + "]");
  }
}
console.log("--- issue 10 targets");
for (const s of [...new Set(main.concat(norobust).filter((r) => r.what === "gemm").map((r) => r.m))].sort((a, b) => a - b)) {
  const b = best(main, s), n = best(norobust, s);
  const pt = main.find((r) => r.what === "gemm-pytorch" && r.m === s);
  console.log("GEMM " + s + "^3 best: " + tf(b) + "; without robustness " + tf(n) +
    (pt ? "; PyTorch CUDA fp32 " + tf({ ...pt, tile: "cuBLAS" }) + ", dl/PyTorch " + (Math.max(b?.gflops ?? 0, n?.gflops ?? 0) / pt.gflops).toFixed(2) : "") + (s === 8192 ? "   target >= 40 TFLOP/s: " + (Math.max(b?.gflops ?? 0, n?.gflops ?? 0) >= 40000 ? "MET" : "not met") : ""));
}
for (const [bench, goal, target] of [["mlp", 1.5, "dl <= 1.5x PyTorch CUDA"], ["grbm", 1, "dl faster than PyTorch CUDA"]]) {
  const dl = main.find((r) => r.what === "epoch" && r.bench === bench && r.device === "webgpu");
  const pt = main.find((r) => r.what === "epoch" && r.bench === bench && r.device === "pytorch-cuda");
  if (!dl) { console.log(bench + ": not measured"); continue; }
  const what = dl.full ? "epoch" : dl.steps + "-step slice (not the whole epoch)";
  const ratio = pt ? dl.seconds / pt.seconds : NaN;
  console.log(bench + " " + what + ": dl " + dl.seconds.toFixed(2) + " s, PyTorch CUDA " + (pt ? pt.seconds.toFixed(2) + " s" : "not measured") +
    (pt ? "; dl/PyTorch = " + ratio.toFixed(2) + "   target " + target + ": " + ((bench === "grbm" ? ratio < goal : ratio <= goal) ? "MET" : "not met") : "") +
    (dl.data ? "   [" + dl.data + "]" : ""));
}
EOF
}
export -f info correctness bench torch_gemm summary

main() {
  log "device-bench: $root, OUT=$OUT, budget ${budget} s, bench args: ${*:-(none)}"
  local t0 sizes=4096,8192 a prev=
  for a in "$@"; do [ "$prev" = --sizes ] && sizes=$a; prev=$a; done
  t0=$(date +%s)
  setup
  local rc=$?
  phases+=("setup|$rc|$(($(date +%s) - t0))")
  if [ "$rc" = 0 ]; then
    phase info 200 info
    [ "${DL_KIT_CHECK:-1}" = 0 ] || phase correctness 150 correctness
    : >"$OUT/gpu.jsonl"
    if [[ " $* " == *" --epochs "* || " $* " == *" --no-gemm "* ]]; then
      phase bench 420 bench "$OUT/gpu.jsonl" --json --torch --tiles all "$@"
      [[ " $* " == *" --no-gemm "* ]] || phase torch-gemm 60 torch_gemm "$sizes"
    else
      # One part at a time, so a hang in one (say the 30000-step GRBM epoch) keeps the others' results.
      phase gemm 150 bench "$OUT/gpu.jsonl" --json --tiles all "$@" --epochs none
      phase torch-gemm 60 torch_gemm "$sizes"
      phase mlp-epoch 150 bench "$OUT/gpu.jsonl" --json --torch "$@" --no-gemm --epochs mlp
      phase grbm-epoch 300 bench "$OUT/gpu.jsonl" --json --torch "$@" --no-gemm --epochs grbm
    fi
    if [ "${DL_KIT_NOROBUST:-1}" != 0 ]; then
      : >"$OUT/gpu-norobust.jsonl"
      DL_WEBGPU_DAWN_TOGGLES=disable_robustness phase gemm-norobust 150 bench "$OUT/gpu-norobust.jsonl" --json --tiles all "$@" --epochs none
    fi
    timeout 60 bash -c summary
  fi
  echo "--- phases (name, rc, seconds); total $(($(date +%s) - start)) s"
  local p
  for p in "${phases[@]}"; do printf '  %-16s %-14s %5s\n' "${p%%|*}" "$(echo "$p" | cut -d'|' -f2)" "${p##*|}"; done
}

main "$@" 2>&1 | tee -a "$OUT/device.log"
