#!/usr/bin/env bash
# Real QEMU live migrations through the REST API (production layout on PostgreSQL: the api, and one agent per qemu host,
# each with its own state directory; TCG): for each case, the control plane's time (the migration's createdAt → endedAt:
# POST handled → completed, every stage persisted, the target prepared and activated by the other host's agent) against
# QEMU's own total-time and downtime (hypervisorTotalMs, downtimeMs), and the pre-copy model's prediction (the preview).
# Needs QEMU and the test guest (scripts/build-guest.sh).
#   bench/qemu-migrate.sh [migrations per case, default 3]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
guest=$("$root/scripts/build-guest.sh")
pg=$(start_postgres)
mkdir -p "$work/images/idle" "$work/images/dirty16"
for image in idle dirty16; do ln -s "$guest/vmlinux" "$work/images/$image/vmlinux"; ln -s "$guest/initrd.gz" "$work/images/$image/initrd.gz"; done
echo "console=ttyS0 panic=-1 nokaslr quiet dirty=16 hb=1" > "$work/images/dirty16/cmdline"
common=(ConnectionStrings__Postgres="$pg" Iaas__Qemu__Enabled=true Iaas__Qemu__ImageDirectory="$work/images"
        Iaas__Qemu__PoolDirectory="$work/pools" Iaas__Qemu__SaveDirectory="$work/saved"
        Iaas__Migration__PollMilliseconds=${POLL_MS:-200} Iaas__Migration__Escalation=abort Iaas__Health__GuestStatsSeconds=5)
start_api 5188 "${common[@]}" Iaas__MigrateOnStart=true Iaas__InProcessWorkers=false
agents=()
for host in qemu-a qemu-b; do
  control=false; [[ $host == qemu-a ]] && control=true
  env "${common[@]}" Logging__LogLevel__Default=Warning Iaas__Qemu__StateDirectory="$work/state-$host" \
    Iaas__Workers__Hosts__0=$host Iaas__Workers__ServeControlQueue=$control \
    dotnet "$root/src/Workers/bin/Release/net10.0/IaasApi.Workers.dll" >"$work/agent-$host.log" 2>&1 &
  agents+=($!)
done
stop_agents() {
  kill "${agents[@]}" 2>/dev/null; wait "${agents[@]}" 2>/dev/null || true
  # The VMs they started outlive them: end them by their pid files.
  find "$work" -name '*.pid' -exec sh -c 'kill "$(cat "$1")" 2>/dev/null' _ {} \; 2>/dev/null || true
  cleanup
}
trap stop_agents EXIT
python3 - "$key" "${1:-3}" <<'PY'
import json, os, sys, time, urllib.request
from datetime import datetime
key = sys.argv[1]
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
pool = call("POST", "/v1/storage-pools", {"name": "shared", "zoneId": zone["id"], "capacityGiB": 100})
def ms(a, b): return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() * 1000
def median(xs): xs = sorted(xs); return xs[len(xs) // 2]
def median_error(rows):                                                   # QEMU's own time varies run to run: the model predicts the typical one
    learned = [r for r in rows if r["predicted"] and not r["first"]]
    if not learned: return "n/a"
    p, q = median([r["predicted"] for r in learned]), median([r["total"] for r in learned])
    return f"{p:.0f} vs {q:.0f} ms ({(p - q) / q * 100:+.0f} %)"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
cases = [("idle 128 MiB", "idle", 128, None, False), ("idle 128 MiB, local disk (NBD)", "idle", 128, None, True),
         ("dirty 16 MiB in 256 MiB", "dirty16", 256, None, False), ("idle 512 MiB, 400 Mbit/s", "idle", 512, 400, False),
         ("idle 512 MiB, 100 Mbit/s", "idle", 512, 100, False)]
only = os.environ.get("CASES")                                           # e.g. CASES=NBD: the cases whose name holds it
first = True
for n, (name, image, memory, mbps, local) in enumerate(cases):
    if only and only not in name: continue
    flavor = call("POST", "/v1/flavors", {"name": f"f{n}", "vcpus": 1, "memoryMiB": memory, "diskGiB": 1})
    img = call("GET", f"/v1/images?name={image}")["items"] or [call("POST", "/v1/images", {"name": image, "os": "busybox", "format": "raw", "minDiskGiB": 1})]
    vm = call("POST", "/v1/instances", {"name": f"vm{n}", "flavorId": flavor["id"], "imageId": img[0]["id"], "slaPlanId": plan["id"],
              "zoneId": zone["id"], "tenantId": tenant["id"]})["id"]
    while call("GET", f"/v1/instances/{vm}")["status"] != "running": time.sleep(0.2)
    if not local:                                                          # shared storage: its disk onto the pool first
        mig = call("POST", f"/v1/instances/{vm}/actions/migrate", {"type": "storage", "targetPoolId": pool["id"]})
        while call("GET", f"/v1/migrations/{mig['id']}")["status"] not in ("completed", "failed", "cancelled"): time.sleep(0.1)
    time.sleep(8)                                                          # booted, dirtying (dirty16), measured by its agent
    rows = []
    for run in range(runs):                                                # back and forth between the two hosts
        time.sleep(6)                                                      # a fresh measurement of the guest where it is now
        body = {"type": "live"} | ({"bandwidthMbps": mbps} if mbps else {})
        preview = call("POST", "/v1/migrations/preview", {"instanceId": vm} | ({"bandwidthMbps": mbps} if mbps else {}))
        predicted = (preview.get("prediction") or {}).get("totalMs")
        mig = call("POST", f"/v1/instances/{vm}/actions/migrate", body)
        while (m := call("GET", f"/v1/migrations/{mig['id']}"))["status"] not in ("completed", "failed", "cancelled"): time.sleep(0.02)
        total, down, wall = m.get("hypervisorTotalMs"), m.get("downtimeMs"), ms(m["createdAt"], m["endedAt"])
        stages = {x["stage"]: ms(x["startedAt"], x["endedAt"]) for x in m["stages"] if x.get("endedAt")}
        row = dict(status=m["status"], wall=wall, total=total, down=down, rounds=len(m["rounds"]), predicted=predicted, stages=stages,
                   first=first, note=preview.get("recommendation", ""))
        first = False
        rows.append(row)
        err = f"{(predicted - total) / total * 100:+.0f} %" if predicted and total else "n/a"
        print(f"  {name} #{run + 1}: {m['status']}; control plane {wall:.0f} ms (queued {ms(m['createdAt'], m['startedAt']):.0f}, " +
              ", ".join(f"{k} {v:.0f}" for k, v in stages.items()) + f"); QEMU total-time {total} ms, downtime {down} ms, "
              f"{m.get('transferredMiB')} MiB, {len(m['rounds'])} round(s); overhead {f'{(wall - total) / total * 100:+.0f} %' if total else 'n/a'}; "
              f"model {predicted and round(predicted)} ms ({err})" + ("" if total else f"; the migration: {json.dumps(m)}"),
              flush=True)
    ok = [r for r in rows if r["status"] == "completed" and r["total"]]
    errs = [abs(r["predicted"] - r["total"]) / r["total"] * 100 for r in ok if r["predicted"] and not r["first"]]
    print(f"{name}: median control plane {median([r['wall'] for r in ok]):.0f} ms, QEMU total-time {median([r['total'] for r in ok]):.0f} ms "
          f"(range {min(r['total'] for r in ok):.0f}–{max(r['total'] for r in ok):.0f}), downtime {median([r['down'] for r in ok]):.0f} ms; "
          f"overhead median {median([(r['wall'] - r['total']) / r['total'] * 100 for r in ok]):+.0f} %; "
          f"model error per run median {median(errs) if errs else float('nan'):.0f} %, max {max(errs) if errs else float('nan'):.0f} %; "
          f"median prediction vs median QEMU total-time {median_error(ok)}", flush=True)
    call("DELETE", f"/v1/instances/{vm}")
PY
