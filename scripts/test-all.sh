#!/usr/bin/env bash
# The whole suite: typecheck, lint, the API reference (doc coverage, examples type-checked and run),
# then every vitest test (unit, scripted-peer, packed tarballs, and Dovecot integration). Ends with
# a plain "N passed, N failed" line; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
echo "== typecheck"; pnpm --silent typecheck || status=1
echo "== lint"; pnpm --silent lint || status=1
# The examples import the packages' compiled JavaScript: build first (vitest's setup builds again).
echo "== docs"; { pnpm --silent build && pnpm --silent run docs; } || status=1
echo "== tests"
rm -f .vitest.json
pnpm --silent exec vitest run --reporter=default --reporter=json --outputFile.json=.vitest.json "$@" || status=1
if [ -f .vitest.json ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(".vitest.json", "utf8"))
    // A file that fails outside any test (an import error) has no failed test of its own.
    const brokenFiles = r.testResults.filter((f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed")).length
    const failed = r.numFailedTests + brokenFiles
    if (r.numTotalTests === 0) { console.log("no tests ran"); process.exitCode = 1 }
    console.log(`${r.numPassedTests} passed, ${failed} failed`)
  ' || status=1
else
  echo "0 passed, 1 failed"
  status=1
fi
exit $status
