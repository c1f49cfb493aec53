#!/usr/bin/env bash
# System packages for the e2e and extension-host tests (Debian/Ubuntu, as root; .ci/run calls it):
# Chromium for Playwright, libkrb5-dev and a C++ toolchain for code-server's native modules, Neovim
# for the `gearbox lsp` test (test/integration/nvim-lsp.test.ts), curl for the README's curl recipe.
# Installs only what is missing, so a rerun costs nothing.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || [ -n "${GEARBOX_E2E_CHROMIUM:-}" ] || need+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v nvim >/dev/null 2>&1 || need+=(neovim)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  echo "apt-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
else
  echo "apt-deps: chromium, libkrb5-dev, a C++ toolchain, neovim and curl are present"
fi
