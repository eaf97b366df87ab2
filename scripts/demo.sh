#!/usr/bin/env bash
# npm run demo: make sure the binary is built, then start the demo site.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/ensure-tools.sh dig sshd ssh ssh-keygen rsync
npm run --silent build
exec node_modules/.bin/bun scripts/demo.ts "$@"
