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
python3 - "$key" "$vms" <<'PY'
import json, sys, time, urllib.request
key, vms = sys.argv[1], int(sys.argv[2])
base = "http://127.0.0.1:5187"
def call(method, path, body=None, token=key):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        text = r.read()
        return json.loads(text) if text else None
region = call("POST", "/v1/regions", {"name": "r"})
zone = call("POST", "/v1/zones", {"name": "z", "regionId": region["id"]})
hosts = [call("POST", "/v1/hosts", {"name": f"h{i}", "zoneId": zone["id"], "hypervisor": "fake",
              "capacity": {"vcpus": 64, "memoryMiB": 262144, "diskGiB": 4000, "networkMbps": 10000}})["id"] for i in range(3)]
flavor = call("POST", "/v1/flavors", {"name": "f", "vcpus": 2, "memoryMiB": 4096, "diskGiB": 20})
image = call("POST", "/v1/images", {"name": "i", "os": "debian", "format": "qcow2", "minDiskGiB": 1})
plans = [call("POST", "/v1/sla-plans", {"name": f"p{p}", "priority": p, "schemes": ["immediate"]})["id"] for p in (500, 300, 100)]
tenant = call("POST", "/v1/tenants", {"name": "t", "quotas": {"instances": -1, "vcpus": -1, "memoryMiB": -1}})
tkey = call("POST", f"/v1/tenants/{tenant['id']}/api-keys", {"name": "k"})["key"]
for h in hosts[1:]: call("PATCH", f"/v1/hosts/{h}", {"state": "disabled"})
ids = [call("POST", "/v1/instances", {"name": f"vm{i}", "flavorId": flavor["id"], "imageId": image["id"], "slaPlanId": plans[i % 3],
        "zoneId": zone["id"]}, tkey)["id"] for i in range(vms)]
while any(call("GET", f"/v1/instances/{i}")["status"] != "running" for i in ids): time.sleep(0.2)
for h in hosts[1:]: call("PATCH", f"/v1/hosts/{h}", {"state": "enabled"})
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
