#!/usr/bin/env bash
# The dashboard's first render with a large cloud on PostgreSQL: 1,000 hosts and 10,000 running instances (the fake
# driver, spawning at once) seeded through the REST API, then each view timed in Debian's Chromium (bench/DashboardBench).
#   bench/dashboard-render.sh [hosts] [instances] [runs]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ -x /usr/bin/chromium ]] || { echo "needs Debian's chromium (apt-get install chromium)" >&2; exit 1; }
pg=$(start_postgres)
start_api 5190 ConnectionStrings__Postgres="$pg" Iaas__MigrateOnStart=true Iaas__FakeDriver__SpawnMilliseconds=0 Iaas__Jobs__WorkerCount=8
dotnet "$root/bench/DashboardBench/bin/Release/net10.0/IaasApi.DashboardBench.dll" --url http://127.0.0.1:5190 --admin-key "$key" \
  --hosts "${1:-1000}" --instances "${2:-10000}" --runs "${3:-5}"
