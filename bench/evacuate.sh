#!/usr/bin/env bash
# Host failure on PostgreSQL with the fake driver in real time: a host with N running VMs (priorities 500/300/100 in
# turn), two other hosts with room for all; the host is cut off (PUT /v1/simulation/hosts/{id}/silence), then: the time
# until it reads `down`, until every VM runs again elsewhere, and (un-silenced) until it is fenced and back.
#   bench/evacuate.sh [vms]
# Heartbeats every 2 s, down after 6 s, the tick every second (production defaults: 10 s, 30 s, 15 s).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
vms=${1:-20}
pg=$(start_postgres)
start_api 5187 ConnectionStrings__Postgres="$pg" Iaas__MigrateOnStart=true Iaas__InProcessWorkers=true \
  Iaas__FakeDriver__SpawnMilliseconds=200 Iaas__Health__HeartbeatSeconds=2 Iaas__Health__HostDownAfterSeconds=6 \
  Iaas__Reconciler__IntervalSeconds=1
BENCH_DIR="$(dirname "${BASH_SOURCE[0]}")" python3 - "$key" "$vms" <<'PY'
import os, sys, time
sys.path.insert(0, os.environ["BENCH_DIR"])
from benchlib import caller, fill_first_host
key, vms = sys.argv[1], int(sys.argv[2])
call = caller("http://127.0.0.1:5187", key)
plans = [call("POST", "/v1/sla-plans", {"name": f"p{p}", "priority": p, "schemes": ["immediate"]})["id"] for p in (500, 300, 100)]
hosts, ids = fill_first_host(call, vms, plans)
time.sleep(3)                                                          # a beat or two of the failing host first
start = time.monotonic()
call("PUT", f"/v1/simulation/hosts/{hosts[0]}/silence", {"silent": True})
while call("GET", f"/v1/hosts/{hosts[0]}")["state"] != "down": time.sleep(0.1)
down = time.monotonic() - start
back = {}
while len(back) < vms:
    for i in ids:
        if i not in back:
            x = call("GET", f"/v1/instances/{i}")
            if x["status"] == "running" and x["hostId"] != hosts[0]: back[i] = time.monotonic() - start
    time.sleep(0.05)
restart = sorted(back.values())
by_plan = {p: max(back[i] for n, i in enumerate(ids) if plans[n % 3] == p) for p in plans}
call("PUT", f"/v1/simulation/hosts/{hosts[0]}/silence", {"silent": False})
t = time.monotonic()
while call("GET", f"/v1/hosts/{hosts[0]}")["state"] != "enabled": time.sleep(0.1)
fenced = time.monotonic() - t
fence = call("GET", f"/v1/operations?kind=host.fence&resourceId={hosts[0]}")["items"][0]
print(f"host failure with {vms} VMs (heartbeat 2 s, down after 6 s, tick 1 s): down after {down:.1f} s; all running elsewhere "
      f"after {restart[-1]:.1f} s (first {restart[0]:.1f} s); last restart by priority 500/300/100: "
      + "/".join(f"{by_plan[p]:.1f}" for p in plans) + f" s; fenced and back {fenced:.1f} s after it answered")
print(f"fence: {fence.get('statusReason')}")
PY
