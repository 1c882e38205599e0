#!/usr/bin/env bash
# The test command (`npm test`): installs and builds if needed, then runs the unit and end-to-end suites.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
npx mocha 'dist/test/unit/**/*.test.js'
