#!/usr/bin/env bash
# Provisioning latency, POST /v1/instances → running, in both modes, with the shipped defaults
# (fake driver spawn latency 200 ms). Prints the figures docs/benchmarks.md records.
#   bench/run.sh [count]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
count=${1:-100}
dotnet build IaasApi.sln -c Release -nologo -v quiet >/dev/null
api_dll="$root/src/Api/bin/Release/net10.0/IaasApi.Api.dll"
bench() { dotnet "$root/bench/ProvisioningLatency/bin/Release/net10.0/IaasApi.ProvisioningLatency.dll" "$@"; }
key="iaas_bench-admin-key-$(date +%s)"
work=$(mktemp -d /tmp/iaas-bench.XXXXXX)
chmod 755 "$work"
api_pid=""
cleanup() {
  [[ -n "$api_pid" ]] && kill "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null || true
  "$root/scripts/local-postgres.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

start_api() {   # $1 = port; the rest are environment assignments
  local port=$1; shift
  env "$@" Iaas__BootstrapAdminKey="$key" Logging__LogLevel__Default=Warning \
    dotnet "$api_dll" --urls "http://127.0.0.1:$port" >"$work/api-$port.log" 2>&1 &
  api_pid=$!
  for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && return 0; sleep 0.5; done
  cat "$work/api-$port.log" >&2; return 1
}
stop_api() { kill "$api_pid"; wait "$api_pid" 2>/dev/null || true; api_pid=""; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(dotnet --version) SDK"

mkdir -p "$work/embedded"
start_api 5181 Iaas__DataDirectory="$work/embedded" Iaas__SeedDemoData=false
bench --url http://127.0.0.1:5181 --admin-key "$key" --count "$count" --label "embedded (SQLite + in-memory Hangfire)"
bench --url http://127.0.0.1:5181 --admin-key "$key" --count "$count" --concurrency 10 --label "embedded (SQLite + in-memory Hangfire)"
stop_api

pg=$("$root/scripts/local-postgres.sh" start "$work/pg")
start_api 5182 ConnectionStrings__Postgres="$pg" Iaas__MigrateOnStart=true
bench --url http://127.0.0.1:5182 --admin-key "$key" --count "$count" --label "PostgreSQL (Hangfire.PostgreSql, in-process server)"
bench --url http://127.0.0.1:5182 --admin-key "$key" --count "$count" --concurrency 10 --label "PostgreSQL (Hangfire.PostgreSql, in-process server)"
stop_api
