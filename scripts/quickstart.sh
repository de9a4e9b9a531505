#!/usr/bin/env bash
# Quick start, step 1: install everything on a fresh Debian machine (as root),
# build, and run the main job: inspect the bundled sample images with the
# bundled models.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-audit --no-fund
npm run build
node bin/die-inspect.js models
node bin/die-inspect.js inspect samples/images --out runs/quickstart
