#!/usr/bin/env bash
# The README's lease walkthrough as a script: reserve a window, launch into it, watch a preemptible (bronze) VM get
# preempted at the start and come back after the end. Needs the control plane running (embedded mode), started with a
# short notice period so the walkthrough takes about four minutes:
#   Iaas__Scheduling__PreemptionNoticeSeconds=30 dotnet run --project src/Api
# then: docs/examples/lease-walkthrough.sh [data-directory, default src/Api/data] [base url, default http://localhost:5000]
set -euo pipefail
DATA=${1:-src/Api/data}; BASE=${2:-http://localhost:5000}
ADMIN=$(cat "$DATA/admin-key"); TENANT=$(cat "$DATA/demo-tenant-key")
adm() { curl -sf -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' "$@"; }
api() { curl -sf -H "Authorization: Bearer $TENANT" -H 'Content-Type: application/json' "$@"; }
status() { api "$BASE/v1/instances/$1" | jq -r .status; }
wait_for() { local id=$1 want=$2 i; for i in $(seq 1 120); do [ "$(status "$id")" = "$want" ] && return 0; sleep 2; done; echo "timeout: $id never became $want" >&2; exit 1; }
say() { printf '\n== %s\n' "$*"; }

say "An operator adds a small zone: one host with 4 vCPUs (no overcommit)"
REGION=$(adm "$BASE/v1/regions" | jq -r '.items[0].id')
ZONE=$(adm -X POST "$BASE/v1/zones" -d "{\"name\":\"lab-$RANDOM\",\"regionId\":\"$REGION\"}" | jq -r .id)
adm -X POST "$BASE/v1/hosts" -d "{\"name\":\"lab-host-$RANDOM\",\"zoneId\":\"$ZONE\",\"hypervisor\":\"fake\",\"capacity\":{\"vcpus\":4,\"memoryMiB\":16384,\"diskGiB\":500,\"networkMbps\":10000}}" | jq -c '{name, capacity}'

MEDIUM=$(api "$BASE/v1/flavors?name=medium" | jq -r '.items[0].id')          # 2 vCPUs
IMAGE=$(api "$BASE/v1/images?name=debian-12" | jq -r '.items[0].id')
BRONZE=$(api "$BASE/v1/sla-plans?name=bronze" | jq -r '.items[0].id')         # preemptible, priority 100
SILVER=$(api "$BASE/v1/sla-plans?name=silver" | jq -r '.items[0].id')         # offers reservations

say "Two bronze (preemptible) VMs fill the host"
vm() { api -X POST "$BASE/v1/instances" -d "{\"name\":\"$1\",\"flavorId\":\"$MEDIUM\",\"imageId\":\"$IMAGE\",\"slaPlanId\":\"$2\",\"zoneId\":\"$ZONE\"}" | jq -r .id; }
SPOT1=$(vm spot-1 "$BRONZE"); wait_for "$SPOT1" running
SPOT2=$(vm spot-2 "$BRONZE"); wait_for "$SPOT2" running
echo "spot-1 $(status "$SPOT1"), spot-2 $(status "$SPOT2")"

say "Reserve one medium slot from one minute from now, for two minutes: accepted (borrowers do not block it)"
START=$(date -u -d '+60 seconds' +%Y-%m-%dT%H:%M:%SZ); END=$(date -u -d '+180 seconds' +%Y-%m-%dT%H:%M:%SZ)
LEASE=$(api -X POST "$BASE/v1/reservations" -d "{\"name\":\"batch-window\",\"flavorId\":\"$MEDIUM\",\"count\":1,\"zoneId\":\"$ZONE\",\"start\":\"$START\",\"end\":\"$END\",\"slaPlanId\":\"$SILVER\",\"onEnd\":\"delete\",\"graceSeconds\":0}")
echo "$LEASE" | jq -c '{id, status, start, "end": .end, slots}'
LEASE=$(echo "$LEASE" | jq -r .id)
api "$BASE/v1/capacity?zoneId=$ZONE&step=60&to=$(date -u -d '+4 minutes' +%Y-%m-%dT%H:%M:%SZ)" \
  | jq -r '.points[] | "\(.at)  reserved \(.reserved.vcpus) vCPU  free \(.free.vcpus) vCPU"'

say "Launch into the reservation: pending until its start"
JOB=$(api -X POST "$BASE/v1/instances" -d "{\"name\":\"batch-1\",\"flavorId\":\"$MEDIUM\",\"imageId\":\"$IMAGE\",\"reservationId\":\"$LEASE\"}")
echo "$JOB" | jq -c '{status, statusReason}'
JOB=$(echo "$JOB" | jq -r .id)

say "The notice period (30 s before the start): the newest bronze VM is told it will be preempted"
for i in $(seq 1 60); do api "$BASE/v1/instances/$SPOT2/actions" | jq -e '.items[] | select(.action=="preemption-notice")' >/dev/null && break; sleep 2; done
api "$BASE/v1/instances/$SPOT2" | jq -r .statusReason

say "The start: spot-2 is suspended (state saved, back in the queue), batch-1 runs in the slot"
wait_for "$JOB" running
wait_for "$SPOT2" suspended
echo "batch-1 $(status "$JOB"), spot-1 $(status "$SPOT1"), spot-2 $(status "$SPOT2")"
api "$BASE/v1/instances/$SPOT2" | jq -c '{status, queuePosition, statusReason}'

say "The end: batch-1 is deleted (onEnd), the capacity returns, spot-2 resumes"
wait_for "$JOB" deleted
wait_for "$SPOT2" running
api "$BASE/v1/reservations/$LEASE" | jq -c '{status, endedAt}'
api "$BASE/v1/instances/$SPOT2/actions" | jq -r '.items[] | "\(.at)  \(.action)  \(.fromStatus // "-") → \(.toStatus)  \(.actor)"'
