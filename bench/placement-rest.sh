#!/usr/bin/env bash
# REST create-with-claim at 1,000 hosts on PostgreSQL, 1 and 16 concurrent clients. The api runs without in-process
# workers (Iaas:InProcessWorkers=false, like compose's api replicas): provisioning jobs are enqueued, not executed,
# so the figures are the control plane's admission path alone.
#   bench/placement-rest.sh [hosts] [creates] [open-loop rate per second]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
hosts=${1:-1000}
creates=${2:-1000}
rate=${3:-200}
dotnet build IaasApi.sln -c Release -nologo -v quiet >/dev/null
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

pg=$("$root/scripts/local-postgres.sh" start "$work/pg")
env ConnectionStrings__Postgres="$pg" Iaas__MigrateOnStart=true Iaas__InProcessWorkers=false Iaas__BootstrapAdminKey="$key" \
    Logging__LogLevel__Default=Warning \
    dotnet "$root/src/Api/bin/Release/net10.0/IaasApi.Api.dll" --urls http://127.0.0.1:5183 >"$work/api.log" 2>&1 &
api_pid=$!
for _ in $(seq 1 120); do curl -fs http://127.0.0.1:5183/readyz >/dev/null && break; sleep 0.5; done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); api, PostgreSQL and the load generator share it"
cpu() { awk '{print $14+$15}' /proc/$1/stat; }; pgsum() { local s=0; for p in $(pgrep -u postgres -f "postgres"); do s=$((s + $(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null || echo 0))); done; echo $s; }
a0=$(cpu $api_pid); p0=$(pgsum)
dotnet "$root/bench/RestPlacement/bin/Release/net10.0/IaasApi.RestPlacement.dll" --url http://127.0.0.1:5183 --admin-key "$key" \
  --hosts "$hosts" --clients 1,16 --creates "$creates" --rate "${rate:-200}"
echo "cpu ticks (1/100 s) during the bench: api $(( $(cpu $api_pid) - a0 )), postgres $(( $(pgsum) - p0 ))"
