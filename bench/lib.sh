# Shared by the bench scripts: a scratch directory, a throwaway PostgreSQL cluster, the Release Api, and cleanup.
# shellcheck shell=bash
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
dotnet build IaasApi.sln -c Release -nologo -v quiet >/dev/null
api_dll="$root/src/Api/bin/Release/net10.0/IaasApi.Api.dll"
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

start_postgres() { "$root/scripts/local-postgres.sh" start "$work/pg"; }

# start_api PORT [VAR=value ...]: the Release Api on 127.0.0.1:PORT, back once /readyz answers. The rate limiter is off
# (the benchmarks measure the control plane) unless the caller passes Iaas__RateLimits__Enabled=true.
start_api() {
  local port=$1; shift
  env Iaas__RateLimits__Enabled=false "$@" Iaas__BootstrapAdminKey="$key" Logging__LogLevel__Default=Warning \
    dotnet "$api_dll" --urls "http://127.0.0.1:$port" >"$work/api-$port.log" 2>&1 &
  api_pid=$!
  for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && return 0; sleep 0.5; done
  cat "$work/api-$port.log" >&2; return 1
}
stop_api() { kill "$api_pid"; wait "$api_pid" 2>/dev/null || true; api_pid=""; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(dotnet --version) SDK; api, PostgreSQL and the load generator share it"
