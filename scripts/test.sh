#!/usr/bin/env bash
# Runs every test project; the integration tests talk to a real PostgreSQL:
#   - IAAS_TEST_POSTGRES set: that server (a connection string);
#   - else a reachable Docker engine: Testcontainers starts one;
#   - else a throwaway local cluster started here (PostgreSQL server binaries, e.g. apt-get install postgresql).
# The last line is the summary CI reads: "N passed, N failed" (", N skipped" when any were skipped).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

results=$(mktemp -d /tmp/iaas-test-results.XXXXXX)
cluster=""
cleanup() {
  [[ -n "$cluster" ]] && "$root/scripts/local-postgres.sh" stop "$cluster" && rm -rf "$cluster"
  rm -rf "$results"
}
trap cleanup EXIT

docker_engine() {
  [[ -n "${DOCKER_HOST:-}" ]] && return 0
  [[ -S /var/run/docker.sock ]] && command -v docker >/dev/null && timeout 5 docker info >/dev/null 2>&1
}

if [[ -z "${IAAS_TEST_POSTGRES:-}" ]]; then
  if docker_engine; then
    echo "PostgreSQL: Testcontainers (Docker engine reachable)"
  else
    cluster=$(mktemp -d /tmp/iaas-test-pg.XXXXXX)
    chmod 755 "$cluster"
    if ! IAAS_TEST_POSTGRES=$("$root/scripts/local-postgres.sh" start "$cluster"); then
      echo "Could not start a local PostgreSQL cluster (see $cluster/*.log)" >&2
      cat "$cluster"/*.log >&2 2>/dev/null
      echo "0 passed, 1 failed"
      exit 1
    fi
    export IAAS_TEST_POSTGRES
    echo "PostgreSQL: local throwaway cluster on port $(cat "$cluster/port")"
  fi
fi

# The qemu tests (tests/Qemu.Tests, RealQemuTests) boot a tiny guest: build it once, up front, where QEMU is installed.
if command -v qemu-system-x86_64 >/dev/null && [[ -z "${IAAS_TEST_GUEST:-}" ]]; then
  if guest=$("$root/scripts/build-guest.sh" 2>"$results/guest.log"); then
    export IAAS_TEST_GUEST="$guest"
    echo "QEMU guest: $guest"
  else
    echo "QEMU guest: could not be built (the qemu tests will skip): $(tail -1 "$results/guest.log")"
  fi
fi

if ! dotnet build IaasApi.sln -c Release -nologo -v quiet; then
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0; failed=0; skipped=0
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  echo "== $name"
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" --results-directory "$results" \
    | awk '
        # Each failure: its name, its message and the top of its stack trace (CI shows only this output).
        /^[[:space:]]+(Failed|Skipped) |^(Passed|Failed)!|Total tests/ { print; mode = ""; next }
        /\][[:space:]]+Skipped: / { sub(/^.*Skipped: /, "  skip reason: "); if (!seen[$0]++) print; next }
        /Error Message:/ { print; mode = "msg"; n = 0; next }
        /Stack Trace:/   { if (mode == "msg") { print; mode = "stack"; n = 0 } ; next }
        /^[[:space:]]*(Standard Output Messages:|Results File:)/ { mode = ""; next }
        mode == "msg"   && n++ < 25 { print }
        mode == "stack" && n++ < 8  { print }' || true
  trx="$results/$name.trx"
  if [[ ! -f "$trx" ]]; then
    echo "$name: no results (the test host crashed?)"
    failed=$((failed + 1))
    continue
  fi
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  get() { sed -E "s/.* $1=\"([0-9]+)\".*/\1/" <<<"$counters"; }
  total=$(get total); executed=$(get executed); p=$(get passed); f=$(get failed); e=$(get error); t=$(get timeout); a=$(get aborted)
  passed=$((passed + p))
  failed=$((failed + f + e + t + a))
  skipped=$((skipped + total - executed))
done

summary="$passed passed, $failed failed"
(( skipped > 0 )) && summary="$summary, $skipped skipped"
echo "$summary"
(( failed == 0 ))
