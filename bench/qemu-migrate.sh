#!/usr/bin/env bash
# Real QEMU live migrations through the REST API (production layout: the api, and one agent serving two qemu hosts, on
# PostgreSQL; TCG): for each case, the control plane's time (POST migrate → completed, from the migration's stages)
# against QEMU's own total-time and downtime (the agent's log). Needs QEMU and the test guest (scripts/build-guest.sh).
#   bench/qemu-migrate.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
guest=$("$root/scripts/build-guest.sh")
pg=$(start_postgres)
mkdir -p "$work/images/idle" "$work/images/dirty16"
for image in idle dirty16; do ln -s "$guest/vmlinux" "$work/images/$image/vmlinux"; ln -s "$guest/initrd.gz" "$work/images/$image/initrd.gz"; done
echo "console=ttyS0 panic=-1 nokaslr quiet dirty=16 hb=1" > "$work/images/dirty16/cmdline"
common=(ConnectionStrings__Postgres="$pg" Iaas__Qemu__Enabled=true Iaas__Qemu__StateDirectory="$work/state"
        Iaas__Qemu__ImageDirectory="$work/images" Iaas__Migration__PollMilliseconds=50 Iaas__Migration__Escalation=abort)
start_api 5188 "${common[@]}" Iaas__MigrateOnStart=true Iaas__InProcessWorkers=false
env "${common[@]}" Logging__LogLevel__Default=Warning Logging__LogLevel__IaasApi.Infrastructure.Hypervisors.Qemu=Information \
  Iaas__Workers__Hosts__0=qemu-a Iaas__Workers__Hosts__1=qemu-b Iaas__Workers__ServeControlQueue=true \
  dotnet "$root/src/Workers/bin/Release/net10.0/IaasApi.Workers.dll" >"$work/agent.log" 2>&1 &
agent_pid=$!
stop_agent() {
  kill "$agent_pid" 2>/dev/null; wait "$agent_pid" 2>/dev/null || true
  # The VMs it started outlive it: end them by their pid files.
  find "$work/state" -name qemu.pid -exec sh -c 'kill "$(cat "$1")" 2>/dev/null' _ {} \; 2>/dev/null || true
  cleanup
}
trap stop_agent EXIT
python3 - "$key" "$work/agent.log" <<'PY'
import json, re, sys, time, urllib.request
key, agent_log = sys.argv[1], sys.argv[2]
base = "http://127.0.0.1:5188"
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        text = r.read()
        return json.loads(text) if text else None
region = call("POST", "/v1/regions", {"name": "r"})
zone = call("POST", "/v1/zones", {"name": "z", "regionId": region["id"]})
hosts = [call("POST", "/v1/hosts", {"name": n, "zoneId": zone["id"], "hypervisor": "qemu",
              "capacity": {"vcpus": 4, "memoryMiB": 4096, "diskGiB": 50, "networkMbps": 10000}})["id"] for n in ("qemu-a", "qemu-b")]
plan = call("POST", "/v1/sla-plans", {"name": "p", "schemes": ["immediate"]})
tenant = call("POST", "/v1/tenants", {"name": "t"})
cases = [("idle 128 MiB", "idle", 128, None), ("idle 128 MiB (again, warm)", "idle", 128, None), ("dirty 16 MiB in 256 MiB", "dirty16", 256, None),
         ("idle 512 MiB, 400 Mbit/s", "idle", 512, 400), ("idle 512 MiB, 100 Mbit/s", "idle", 512, 100)]
for n, (name, image, memory, mbps) in enumerate(cases):
    flavor = call("POST", "/v1/flavors", {"name": f"f{n}", "vcpus": 1, "memoryMiB": memory, "diskGiB": 1})
    img = call("GET", f"/v1/images?name={image}")["items"] or [call("POST", "/v1/images", {"name": image, "os": "busybox", "format": "raw", "minDiskGiB": 1})]
    vm = call("POST", "/v1/instances", {"name": f"vm{n}", "flavorId": flavor["id"], "imageId": img[0]["id"], "slaPlanId": plan["id"],
              "zoneId": zone["id"], "tenantId": tenant["id"]})["id"]
    while call("GET", f"/v1/instances/{vm}")["status"] != "running": time.sleep(0.2)
    time.sleep(8)                                                          # booted and (for dirty16) dirtying
    body = {"type": "live"} | ({"bandwidthMbps": mbps} if mbps else {})
    # The pre-copy model's prediction first, from the guest's dirty rate as QEMU measures it (calc-dirty-rate).
    preview = call("POST", "/v1/migrations/preview", {"instanceId": vm} | ({"bandwidthMbps": mbps} if mbps else {}))
    predicted = (preview.get("prediction") or {}).get("totalMs")
    start = time.monotonic()
    mig = call("POST", f"/v1/instances/{vm}/actions/migrate", body)
    while (m := call("GET", f"/v1/migrations/{mig['id']}"))["status"] not in ("completed", "failed", "cancelled"): time.sleep(0.02)
    wall = (time.monotonic() - start) * 1000
    time.sleep(0.5)
    lines = [l for l in open(agent_log).read().splitlines() if vm in l and "total-time" in l]
    qemu = re.search(r"total-time (\d+) ms, downtime (\d+) ms, ([\d.]+) MiB, (\d+) round", lines[-1]) if lines else None
    total, down = (int(qemu.group(1)), int(qemu.group(2))) if qemu else (None, None)
    ratio = f"{(wall - total) / total * 100:+.0f} %" if total else "n/a"
    model = f"{predicted:.0f} ms ({(predicted - total) / total * 100:+.0f} %)" if predicted and total else "n/a"
    print(f"{name}: {m['status']}; API POST→completed {wall:.0f} ms; QEMU total-time {total} ms, downtime {down} ms; "
          f"{len(m['rounds'])} round(s); orchestration overhead {ratio} of QEMU's total-time; the model predicted {model}")
    call("DELETE", f"/v1/instances/{vm}")
PY
