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
python3 - "$key" "$vms" <<'PY'
import json, sys, time, urllib.request
key, vms = sys.argv[1], int(sys.argv[2])
base = "http://127.0.0.1:5186"
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
plan = call("POST", "/v1/sla-plans", {"name": "p", "schemes": ["immediate"]})
tenant = call("POST", "/v1/tenants", {"name": "t", "quotas": {"instances": -1, "vcpus": -1, "memoryMiB": -1}})
tkey = call("POST", f"/v1/tenants/{tenant['id']}/api-keys", {"name": "k"})["key"]
for h in hosts[1:]: call("PATCH", f"/v1/hosts/{h}", {"state": "disabled"})
ids = [call("POST", "/v1/instances", {"name": f"vm{i}", "flavorId": flavor["id"], "imageId": image["id"], "slaPlanId": plan["id"],
        "zoneId": zone["id"]}, tkey)["id"] for i in range(vms)]
while any(call("GET", f"/v1/instances/{i}")["status"] != "running" for i in ids): time.sleep(0.2)
for h in hosts[1:]: call("PATCH", f"/v1/hosts/{h}", {"state": "enabled"})
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
