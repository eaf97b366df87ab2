#!/usr/bin/env bash
# npm test: install what a fresh Debian machine lacks, build the binary, run every test, and
# close with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund || exit 1
bash scripts/ensure-tools.sh dig kdig nsupdate knsupdate unbound named tsig-keygen knotd knotc delv dnssec-verify dnssec-dsfromkey pdns_server sqlite3 pebble certbot openssl ip nft chromium systemd-analyze apache2 nginx rsync sshd ssh curl python3 || exit 1
npm run --silent build || exit 1
node_modules/.bin/tsc --noEmit -p . || { echo "0 passed, 1 failed (typecheck)"; exit 1; }
npm run --silent format:check >/dev/null || { echo "not formatted: run \`npm run format\` (Prettier)"; echo "0 passed, 1 failed (format)"; exit 1; }
log=$(mktemp)
WALRUS_TEST_STRICT=1 node_modules/.bin/bun test --timeout 60000 "$@" 2>&1 | tee "$log"
code=${PIPESTATUS[0]}
passed=$(grep -Eo '^ *[0-9]+ pass$' "$log" | grep -Eo '[0-9]+' | tail -1)
failed=$(grep -Eo '^ *[0-9]+ fail$' "$log" | grep -Eo '[0-9]+' | tail -1)
# CI keeps only the end of the output: repeat each failure with what it printed (at most 60 lines).
if [ "${failed:-0}" != 0 ]; then
  echo "--- the failures again, each with its output ---"
  awk '/^\(pass\)|^\(skip\)|^[^ ].*\.test\.ts:$/ { n = 0; next }
       /^\(fail\)/ { print "=== " $0; s = n > 60 ? n - 60 : 0; for (i = s; i < n; i++) print buf[i]; n = 0; next }
       { buf[n++] = $0 }' "$log"
fi
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed"
exit "$code"
