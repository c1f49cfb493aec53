#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: no build, uses node-llama-cpp's prebuilt CUDA binary (npm ci
# installs it). Generates the benchmark model if needed, then runs bench/gpu.ts.
#   bash bench/gpu.sh [--model tiny]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi not found"
[ -d node_modules/node-llama-cpp ] || { echo "node_modules missing: run npm ci first" >&2; exit 1; }
exec node --import tsx bench/gpu.ts "$@"
