#!/usr/bin/env bash
# Rate limits under a flood (PostgreSQL): tenant B creates instances at a steady rate, alone, while tenant A's one key
# sends a fixed rate of requests, and while it is hammered by many clients in a closed loop; B's create latency
# (p50/p99) and A's 429s, with the limiter at its defaults and then with it off. The api runs without in-process
# workers (like compose's api replicas): creates are admitted and enqueued, not provisioned.
#   bench/tenant-flood.sh [seconds per phase] [B's creates per second] [A's requests per second] [A's closed-loop clients]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
seconds=${1:-30}
rate=${2:-5}
flood_rate=${3:-400}
clients=${4:-64}
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
flood="$root/bench/TenantFlood/bin/Release/net10.0/IaasApi.TenantFlood.dll"

pg=$(start_postgres)
for limiter in true false; do
  echo "== rate limiter $([[ $limiter == true ]] && echo 'on (defaults: a tenant key 20/s burst 100, its mutations 10/s burst 50)' || echo off)"
  start_api 5192 ConnectionStrings__Postgres="$pg" Iaas__MigrateOnStart=true Iaas__InProcessWorkers=false Iaas__RateLimits__Enabled=$limiter
  a0=$(cpu "$api_pid")
  dotnet "$flood" --url http://127.0.0.1:5192 --admin-key "$key" --seconds "$seconds" --rate "$rate" --flood-rate "$flood_rate" --clients "$clients"
  echo "  api cpu time (1/100 s): $(( $(cpu "$api_pid") - a0 )); rate-limit warnings logged: $(grep -c 'Rate limit:' "$work/api-5192.log" || true)"
  stop_api
done
