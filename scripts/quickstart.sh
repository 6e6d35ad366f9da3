#!/usr/bin/env bash
# pylearn2's GRBM tutorial as plain dl commands, one step at a time: what `dl quickstart` does in one go.
#
#   scripts/quickstart.sh [DIR]        # into DIR (default ./dl-quickstart)
#   OFFLINE=1 scripts/quickstart.sh    # on the digits bundled with dl instead of CIFAR-10 (no network)
#   SMALL=1 scripts/quickstart.sh      # a quick look: 20000 patches, at most 5 epochs
#
# NUM_PATCHES and MAX_EPOCHS set those two numbers directly; DL names the dl command (default: this checkout's).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DL="${DL:-node $root/bin/dl.js}"
dl() { echo "+ dl $*"; $DL "$@"; }

dir="${1:-dl-quickstart}"
mkdir -p "$dir"
cd "$dir"

if [ "${OFFLINE:-0}" = 1 ]; then
  preset=digits-patches config=digits_grbm_smd
else
  # 1. Fetch CIFAR-10 (about 170 MB) into the data folder; verified by sha256; a no-op when already there.
  dl download-cifar10
  preset=cifar10-patches config=cifar_grbm_smd
fi

patches="${NUM_PATCHES:-}"
epochs="${MAX_EPOCHS:-}"
if [ "${SMALL:-0}" = 1 ]; then
  if [ "$preset" = cifar10-patches ]; then patches="${patches:-20000}"; else patches="${patches:-5000}"; fi
  epochs="${epochs:-5}"
fi

# 2. Patches, global contrast normalisation, ZCA whitening -> cifar10_preprocessed_train.pkl (pylearn2's make_dataset.py).
dl make-dataset "$preset" ${patches:+--num-patches "$patches"}

# 3. Train the Gaussian-binary RBM by denoising score matching; the YAML's !pkl: reads the dataset made above.
cp "$root/configs/$config.yaml" .
if [ -n "$epochs" ]; then
  # The tutorial's stopping rule, plus a cap on the epochs.
  dl train "$config.yaml" "algorithm.termination_criterion=!obj:pylearn2.termination_criteria.And {criteria: [!obj:pylearn2.termination_criteria.MonitorBased {prop_decrease: 0.01, N: 1}, !obj:pylearn2.termination_criteria.EpochCounter {max_epochs: $epochs}]}"
else
  dl train "$config.yaml"
fi

# 4. The learned filters as a grid of patches, and 5. the monitor channels over the epochs.
dl show-weights "$config.pkl" --scale 2
dl plot-monitor "$config.pkl"

echo "Files in $(pwd):"
ls -l
