#!/usr/bin/env bash
# Quick start, step 1: install everything on a fresh Debian machine (as root) and
# run the main job on the bundled models and sample images.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-audit --no-fund
npm run build:ts
node scripts/demo.js
