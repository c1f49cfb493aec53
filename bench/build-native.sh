#!/usr/bin/env bash
# Builds llama.cpp's own llama-server and llama-bench from the source node-llama-cpp ships
# (node_modules/node-llama-cpp/llama/gitRelease.bundle: the exact llama.cpp our binding runs),
# OUTSIDE the repo: ${XDG_CACHE_HOME:-~/.cache}/gearbox/llama-native. The benches compare the
# daemon with these binaries (same machine, model, threads and prompt). No network; needs cmake,
# a C++ compiler and git. LLAMA_CPP_BIN=<dir with llama-server> uses another build instead.
#
#   bash bench/build-native.sh [mode] [extra cmake -D flags...]
#   mode = prebuilt (default): llama-server and llama-bench from this source, run on node-llama-cpp's
#          own prebuilt libraries (libllama, libggml, the CPU variants: same commit) gathered in
#          $dest/prebuilt-bin — llama.cpp's tools on exactly the kernels the daemon runs, the
#          fairest comparison of everything around them (and what measured on this project's VMs:
#          our own compiles of the AMX kernel fault there, the prebuilt one does not)
#        | variants: the CPU backend built as node-llama-cpp's CI builds it
#          (GGML_NATIVE off, every x86 variant, picked at run time; no OpenMP) — same kernels, so
#          the comparison measures everything around them
#        | native: -march=native, OpenMP (llama.cpp's own default for a local build). Under some
#          hypervisors AMX is listed but the first tile load faults: AMX is left out unless
#          GEARBOX_NATIVE_AMX=1.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bundle="$root/node_modules/node-llama-cpp/llama/gitRelease.bundle"
dest="${XDG_CACHE_HOME:-$HOME/.cache}/gearbox/llama-native"
mode="${1:-prebuilt}"; [ $# -gt 0 ] && shift
[ -f "$bundle" ] || { echo "no llama.cpp source bundle at $bundle (run npm ci first)" >&2; exit 1; }
for tool in cmake git c++; do command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install -y cmake g++ git)" >&2; exit 1; }; done
if [ ! -d "$dest/.git" ]; then
  rm -rf "$dest"; mkdir -p "$(dirname "$dest")"
  git clone -q "$bundle" "$dest"
fi
common=(-DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF)
case "$mode" in
  prebuilt) opts=(-DGGML_NATIVE=OFF -DGGML_OPENMP=OFF) ;;
  variants) opts=(-DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=ON -DGGML_BACKEND_DL=ON -DGGML_OPENMP=OFF) ;;
  native)
    flags=""
    if [ "${GEARBOX_NATIVE_AMX:-0}" != 1 ] && grep -q amx_tile /proc/cpuinfo 2>/dev/null; then flags="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"; fi
    opts=(-DGGML_NATIVE=ON -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags") ;;
  *) echo "unknown mode $mode (prebuilt | variants | native)" >&2; exit 2 ;;
esac
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S "$dest" -B "$dest/build" "${gen[@]}" "${common[@]}" "${opts[@]}" "$@" >/dev/null
started=$(date +%s)
targets=(llama-server llama-bench)
# Loaded at run time (GGML_BACKEND_DL): nothing depends on the CPU variants, so name them.
if [ "$mode" = variants ]; then
  mapfile -t variants < <(cmake --build "$dest/build" --target help | grep -o 'ggml-cpu-[a-z0-9_]*' | sort -u)
  targets+=("${variants[@]}")
fi
cmake --build "$dest/build" -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]}"
echo "built ${targets[*]} ($mode) in $(( $(date +%s) - started )) s: $dest/build/bin"

if [ "$mode" = prebuilt ]; then
  prebuilt="$(ls -d "$root"/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64 2>/dev/null | head -1)"
  [ -n "$prebuilt" ] || { echo "node-llama-cpp's prebuilt linux-x64 binaries are not installed" >&2; exit 1; }
  out="$dest/prebuilt-bin"; rm -rf "$out"; mkdir -p "$out"
  b="$dest/build/bin"
  cp "$b/llama-server" "$b/llama-bench" "$b"/libllama-*-impl.so "$out/"
  cp -P "$b"/libmtmd.so* "$out/" 2>/dev/null || true
  # The tools' sonames, pointed at the prebuilt libraries (LD_LIBRARY_PATH=$out wins over their RUNPATH).
  ln -s "$prebuilt/libllama-common.so" "$out/libllama-common.so.0"
  ln -s "$prebuilt"/libllama.v*.so "$out/libllama.so.0"
  ln -s "$prebuilt"/libggml.v*.so "$out/libggml.so.0"
  ln -s "$prebuilt/libggml-base.so" "$out/libggml-base.so.0"
  for f in "$prebuilt"/lib*.so; do ln -sf "$f" "$out/"; done
  echo "llama-server and llama-bench on node-llama-cpp's prebuilt libraries: $out (run with LD_LIBRARY_PATH=$out)"
fi
