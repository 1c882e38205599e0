#!/usr/bin/env bash
# The test command (`npm test`): installs and builds if needed, runs the unit tests, brings the lab up
# (reused when it runs) and runs the end-to-end suite on it. LADING_SKIP_E2E=1 runs the unit tests only.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
# The unit suite lints the host scripts (src/host-scripts) with shellcheck, a Debian package.
if ! command -v shellcheck >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then (apt-get install -y -q shellcheck || { apt-get update -q && apt-get install -y -q shellcheck; }) >/dev/null
  else echo "npm test: shellcheck is missing (sudo apt-get install shellcheck)" >&2; exit 1; fi
fi
# The unit suite checks that Debian's age decrypts the passwords files lading encrypts.
if ! command -v age >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then (apt-get install -y -q age || { apt-get update -q && apt-get install -y -q age; }) >/dev/null
  else echo "npm test: age is missing (sudo apt-get install age)" >&2; exit 1; fi
fi
# lading serve's browser tests drive Debian's chromium (/usr/bin/chromium) with playwright-core, which downloads no browser.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then (apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }) >/dev/null
  else echo "npm test: chromium is missing (sudo apt-get install chromium)" >&2; exit 1; fi
fi
# The Keystone e2e drives the real OpenStack client (Debian's python3-openstackclient) through the VIP.
if [ "${LADING_SKIP_E2E:-}" != "1" ] && ! command -v openstack >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then (apt-get install -y -q python3-openstackclient || { apt-get update -q && apt-get install -y -q python3-openstackclient; }) >/dev/null
  else echo "npm test: the openstack client is missing (sudo apt-get install python3-openstackclient)" >&2; exit 1; fi
fi
npm run --silent build
npx mocha 'dist/test/unit/**/*.test.js'
if [ "${LADING_SKIP_E2E:-}" = "1" ]; then exit 0; fi
node bin/lading.js lab up
# The lab's own tests stop and cut hosts: they run first, before the shared deployment exists. The day-2
# file ends with destroy --all: it runs last, so that no other file has to deploy again after it. The
# bootstrap-servers file restarts every engine (live-restore): after that, Docker 20.10 can keep a restored
# container's health at "starting", which `check` reports; it runs just before the day-2 file, which calls no check.
first=(dist/test/e2e/lab-cli.test.js dist/test/e2e/lab.test.js)
last=(dist/test/e2e/bootstrap.test.js dist/test/e2e/lifecycle.test.js)
e2e=("${first[@]}")
for f in dist/test/e2e/*.test.js; do case " ${first[*]} ${last[*]} " in *" $f "*) ;; *) e2e+=("$f") ;; esac; done
npx mocha --timeout 900000 "${e2e[@]}" "${last[@]}"
