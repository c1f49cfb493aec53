#!/usr/bin/env bash
# Builds llama.cpp's own llama-server and llama-bench from the source node-llama-cpp ships
# (node_modules/node-llama-cpp/llama/gitRelease.bundle: the exact llama.cpp our binding runs),
# with native CPU flags, OUTSIDE the repo: ${XDG_CACHE_HOME:-~/.cache}/gearbox/llama-native.
# The benches compare the daemon against these binaries (same machine, model, threads, prompt).
# Needs cmake, a C++ compiler and git; no network. Set LLAMA_CPP_BIN to use another build instead.
#   bash bench/build-native.sh [extra cmake -D flags...]   (extra flags, e.g. -DGGML_CUDA=ON)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bundle="$root/node_modules/node-llama-cpp/llama/gitRelease.bundle"
dest="${XDG_CACHE_HOME:-$HOME/.cache}/gearbox/llama-native"
[ -f "$bundle" ] || { echo "no llama.cpp source bundle at $bundle (run npm ci first)" >&2; exit 1; }
for tool in cmake git c++; do command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install -y cmake g++ git)" >&2; exit 1; }; done
if [ ! -d "$dest/.git" ]; then
  rm -rf "$dest"; mkdir -p "$(dirname "$dest")"
  git clone -q "$bundle" "$dest"
fi
jobs="$(nproc 2>/dev/null || echo 2)"
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S "$dest" -B "$dest/build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF "$@" >/dev/null
started=$(date +%s)
cmake --build "$dest/build" -j "$jobs" --target llama-server llama-bench
echo "built llama-server and llama-bench in $(( $(date +%s) - started )) s: $dest/build/bin"
