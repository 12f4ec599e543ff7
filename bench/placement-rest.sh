#!/usr/bin/env bash
# REST create-with-claim at 1,000 hosts on PostgreSQL: 1 and 16 concurrent clients (closed loop), then an open loop at a
# fixed offered rate. The api runs without in-process workers (Iaas:InProcessWorkers=false, like compose's api
# replicas): provisioning jobs are enqueued, not executed, so the figures are the control plane's admission path alone.
#   bench/placement-rest.sh [hosts] [creates] [open-loop rate per second]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hosts=${1:-1000}
creates=${2:-1000}
rate=${3:-200}
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
# The cluster's postmaster and its backends (children): this run's PostgreSQL and nothing else.
pg_cpu() {
  local master s=0; master=$(head -1 "$work/pg/data/postmaster.pid")
  for p in "$master" $(pgrep -P "$master" || true); do s=$((s + $(cpu "$p" 2>/dev/null || echo 0))); done; echo "$s"
}

pg=$(start_postgres)
start_api 5183 ConnectionStrings__Postgres="$pg" Iaas__MigrateOnStart=true Iaas__InProcessWorkers=false
a0=$(cpu "$api_pid"); p0=$(pg_cpu)
dotnet "$root/bench/RestPlacement/bin/Release/net10.0/IaasApi.RestPlacement.dll" --url http://127.0.0.1:5183 --admin-key "$key" \
  --hosts "$hosts" --clients 1,16 --creates "$creates" --rate "$rate"
echo "cpu time during the run (1/100 s): api $(( $(cpu "$api_pid") - a0 )), postgres $(( $(pg_cpu) - p0 ))"
