#!/usr/bin/env bash
# System packages rnnrnade-pt needs beside pip: OpenBLAS for PyTensor's C backend, graphviz (dot) for
# `rnnrnade graph --svg`.
# Run as root (apt-get); otherwise it prints what to install and exits 0 so pip steps still run.
set -euo pipefail
packages=(libopenblas-dev graphviz)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "setup_system: ${packages[*]} already installed"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup_system: no apt-get here; install ${missing[*]} (OpenBLAS development files, graphviz) yourself" >&2
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup_system: not root; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 0
fi
echo "setup_system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
echo "setup_system: done"
