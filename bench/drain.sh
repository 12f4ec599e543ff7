#!/usr/bin/env bash
# A maintenance drain on PostgreSQL with the fake driver in real time: a host with N running VMs (4 GiB idle guests)
# on 10 Gbit/s hosts, two other hosts to take them; enter-maintenance, then the time until the drain operation ends.
#   bench/drain.sh [vms]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
vms=${1:-20}
pg=$(start_postgres)
start_api 5186 ConnectionStrings__Postgres="$pg" Iaas__MigrateOnStart=true Iaas__InProcessWorkers=true \
  Iaas__FakeDriver__SpawnMilliseconds=200 Iaas__Migration__PollMilliseconds=100
BENCH_DIR="$(dirname "${BASH_SOURCE[0]}")" python3 - "$key" "$vms" <<'PY'
import os, sys, time
sys.path.insert(0, os.environ["BENCH_DIR"])
from benchlib import caller, fill_first_host
key, vms = sys.argv[1], int(sys.argv[2])
call = caller("http://127.0.0.1:5186", key)
plan = call("POST", "/v1/sla-plans", {"name": "p", "schemes": ["immediate"]})
hosts, ids = fill_first_host(call, vms, [plan["id"]])
start = time.monotonic()
op = call("POST", f"/v1/hosts/{hosts[0]}/actions/enter-maintenance")["operationId"]
while (o := call("GET", f"/v1/operations/{op}"))["status"] == "running": time.sleep(0.1)
wall = time.monotonic() - start
migrations = call("GET", f"/v1/migrations?hostId={hosts[0]}&limit=100")["items"]
downtimes = sorted(m["downtimeMs"] for m in migrations if m["downtimeMs"] is not None)
left = call("GET", f"/v1/hosts/{hosts[0]}")["instanceCount"]
print(f"drain of a {vms}-VM host (4 GiB idle guests, 10 Gbit/s, 2 at a time): {o['status']} in {wall:.1f} s wall; "
      f"{len(migrations)} migrations, downtime p50 {downtimes[len(downtimes)//2]:.0f} ms max {downtimes[-1]:.0f} ms; {left} instance(s) left on the host")
print(f"operation: {o.get('statusReason')}")
PY
