#!/usr/bin/env bash
# The project's one test command (README, CI): install what the tests need when missing,
# then type-check, lint and run every test with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."

# ffprobe: the tests' independent audio decoder; python3: the CosyVoice3 worker's tests run the
# real Python worker (standard library only, with a stand-in model); initdb: the PostgreSQL
# tests start a throwaway cluster (test/helpers/postgres.ts; Debian keeps it off PATH); chromium:
# the studio's browser tests (test/ui) drive Debian's Chromium with playwright-core.
missing=()
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# nginx: test/deploy/nginx.test.ts runs Debian's NGINX on the config `cosyfleet deploy nginx` writes.
[ -x /usr/sbin/nginx ] || missing+=(nginx)
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then missing+=(postgresql); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages the tests need: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi

echo "== type-check"; npx tsc -p tsconfig.json && npx tsc -p web/tsconfig.json && npx tsc -p web/tsconfig.node.json
echo "== lint"; npx eslint .
if [ "${1:-}" = "--quick" ]; then
  # A few minutes instead of the full run: every unit test beside its module, the HTTP service
  # end to end, and the docs' promises. CI runs the full suite (no argument).
  echo "== tests (quick subset)"
  mapfile -t files < <( (find src -name '*.test.ts'; echo test/http/service.test.ts; find test/docs -name '*.test.ts') | sort)
else
  echo "== tests"
  mapfile -t files < <(find src test -name '*.test.ts' | sort)
fi
node --import tsx --test --test-concurrency=1 "${files[@]}"
