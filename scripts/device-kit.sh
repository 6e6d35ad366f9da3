#!/usr/bin/env bash
# Builds .devcarry/: everything `scripts/device-bench.sh` needs on the GPU device machine beyond the
# tracked files, which is all that travels there (no npm, no apt, no network; probably no node).
#
#   bash scripts/device-kit.sh        # here, in the repo, before the device call (~1 min; node.xz is cached)
#
# .devcarry/ (git-ignored; the call names it in `carry`):
#   node.xz          this machine's node binary (an official Node 20 build: needs only glibc/libstdc++)
#   app.tar.xz       dist/ (built now), the production node_modules (the optional `webgpu` package with
#                    its linux-x64 binary only), native/build/Release/dl_native.node
#   data/mnist/      MNIST train images and labels (.gz, as dl reads them; the bench's MLP uses no t10k)
#   data/cifar10-subset.tar.xz
#                    cifar10/cifar-10-batches-bin/data_batch_{1..5}.bin holding the first
#                    CIFAR10_RECORDS (1000) records of each real batch: all 50000 images do not fit
#                    in the 64 MiB that travels; the bench says so in its GRBM results (`data`)
#   deb/             the Vulkan loader (libvulkan1), libglvnd0 (libGLdispatch, which NVIDIA's Vulkan
#                    driver library links) and the other GL loaders the device README names, from this
#                    machine's apt sources, for `dpkg -x`
#   MANIFEST         sizes, sha256, the git HEAD and src/ digest the kit was built from
# Fails when .devcarry plus the files that travel anyway would pass 62 MiB (the limit is 64).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
kit=.devcarry
records="${CIFAR10_RECORDS:-1000}"
shared="$(cd "$root/.." && pwd)/shared/data"
limit=$((62 * 1024 * 1024))
say() { echo "[device-kit $(date +%T)] $*"; }
mkdir -p "$kit/data/mnist" "$kit/deb"

# 1. node: recompressing takes ~40 s on 2 cores, so only when /usr/bin/node changed.
node_bin="$(readlink -f "$(command -v node)")"
if [ -s "$kit/node.xz" ] && [ "$kit/node.xz" -nt "$node_bin" ]; then
  say "node.xz up to date ($node_bin $(node -v))"
else
  say "compressing $node_bin ($(node -v)) ..."
  nice -n 19 xz -T2 -6 -c "$node_bin" >"$kit/node.xz.tmp"
  mv "$kit/node.xz.tmp" "$kit/node.xz"
fi

# 2. The app: dist/ from the current tree, the runtime node_modules, the native addon.
say "npm run build ..."
nice -n 19 npm run build --silent
addon=native/build/Release/dl_native.node # where src/engine/kernels/native-kernels.ts loads it from
[ -f "$addon" ] || { echo "device-kit: $addon is missing; run npm run build:native" >&2; exit 1; }
dawn=node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$dawn" ] || { echo "device-kit: $dawn is missing; the optional webgpu package is not installed (npm install)" >&2; exit 1; }
list="$(mktemp)"
trap 'rm -f "$list"' EXIT
{
  echo dist
  echo "$addon"
  # Production dependencies (commander, yaml, zod, tar and theirs, webgpu and theirs), not vitest & co.
  npm ls --omit=dev --all --parseable 2>/dev/null | sed -n "s|^$root/||p" | grep '^node_modules/' | grep -vx node_modules/webgpu
  # webgpu ships five platforms (132 MB); the device is linux-x64.
  for f in index.js package.json types.d.ts LICENSE.md dist/linux-x64; do echo "node_modules/webgpu/$f"; done
} | sort -u >"$list"
grep -q '^node_modules/commander$' "$list" || { echo "device-kit: npm ls listed no production dependencies" >&2; exit 1; }
say "app.tar.xz: $(wc -l <"$list") paths ..."
nice -n 19 tar -cf - -T "$list" | nice -n 19 xz -T2 -6 >"$kit/app.tar.xz.tmp"
mv "$kit/app.tar.xz.tmp" "$kit/app.tar.xz"

# 3. Data, laid out as dl's data folder (DL_DATA_PATH): mnist/ (src/data/mnist.ts mnistFolder) and
# cifar10/cifar-10-batches-bin/ (src/data/cifar10.ts cifar10Folder; src/bench/epochs.ts cifarDataDir).
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz; do
  [ -s "$kit/data/mnist/$f" ] || cp "$shared/mnist/$f" "$kit/data/mnist/$f"
done
if [ -s "$kit/data/cifar10-subset.tar.xz" ] && [ "$(cat "$kit/data/cifar10-subset.records" 2>/dev/null)" = "$records" ]; then
  say "cifar10-subset.tar.xz up to date ($records records per batch)"
else
  tmp="$(mktemp -d)"
  mkdir -p "$tmp/cifar10/cifar-10-batches-bin"
  for i in 1 2 3 4 5; do
    head -c $((records * 3073)) "$shared/cifar-10/cifar-10-batches-bin/data_batch_$i.bin" >"$tmp/cifar10/cifar-10-batches-bin/data_batch_$i.bin"
  done
  say "cifar10-subset.tar.xz: first $records records of each batch ..."
  nice -n 19 tar -C "$tmp" -cf - cifar10 | nice -n 19 xz -T2 -6 >"$kit/data/cifar10-subset.tar.xz"
  echo "$records" >"$kit/data/cifar10-subset.records"
  rm -rf "$tmp"
fi

# 4. The Vulkan loader (the device README's recipe: amd64 package lists of this machine's sources).
# The whole set the device README names for headless Vulkan/GL there (seen working on the H200),
# ~0.5 MB; device-bench.sh unpacks only those whose library the image lacks.
debs=(libvulkan1 libglvnd0 libegl1 libopengl0 libgl1 libglx0 libgles2)
missing=()
for d in "${debs[@]}"; do ls "$kit"/deb/"${d}"_*.deb >/dev/null 2>&1 || missing+=("$d"); done
if [ "${#missing[@]}" -gt 0 ]; then
  say "apt-get download ${missing[*]} ..."
  mkdir -p /tmp/amd64/partial
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  apt-get "${o[@]}" -qq update
  (cd "$kit/deb" && apt-get "${o[@]}" -qq download "${missing[@]}")
fi

# 5. MANIFEST; the src digest lets device-bench.sh warn when dist/ was built from other sources.
src_digest() { find src -name '*.ts' ! -name '*.test.ts' -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16; }
{
  echo "built $(date -u +%FT%TZ) on $(hostname) from git HEAD $(git rev-parse HEAD)$(git diff --quiet HEAD -- src || echo ' with uncommitted changes in src/')"
  echo "src-digest $(src_digest)"
  echo "node $(node -v)"
  echo "cifar10-records-per-batch $records"
  (cd "$kit" && find . -type f ! -name MANIFEST ! -name '*.records' | LC_ALL=C sort | sed 's|^\./||' | while read -r f; do
    printf '%10d  %s  %s\n' "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -c1-64)" "$f"
  done)
} >"$kit/MANIFEST"
cat "$kit/MANIFEST"

# 6. Size: the kit plus what travels anyway (tracked and untracked-not-ignored files).
kit_bytes=$(du -sb "$kit" | cut -f1)
tree_bytes=$(git ls-files -z -co --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
total=$((kit_bytes + tree_bytes))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
say "kit $(mib "$kit_bytes") + tree $(mib "$tree_bytes") = $(mib "$total") (limit $(mib "$limit"))"
if [ "$total" -gt "$limit" ]; then
  echo "device-kit: $(mib "$total") would travel, over $(mib "$limit"): carry less (CIFAR10_RECORDS=500?)" >&2
  exit 1
fi
