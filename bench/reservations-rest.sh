#!/usr/bin/env bash
# Reservations through REST on PostgreSQL: a zone of 1,000 hosts, 10,000 future reservations booked first, then the
# latency of booking one more (feasibility check + booking) and of the capacity timeline (7 days hourly).
#   bench/reservations-rest.sh [hosts] [reservations] [checks]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hosts=${1:-1000}
reservations=${2:-10000}
checks=${3:-500}
pg=$(start_postgres)
start_api 5184 ConnectionStrings__Postgres="$pg" Iaas__MigrateOnStart=true Iaas__InProcessWorkers=false
dotnet "$root/bench/RestPlacement/bin/Release/net10.0/IaasApi.RestPlacement.dll" --url http://127.0.0.1:5184 --admin-key "$key" \
  --hosts "$hosts" --zones 1 --clients 8 --reservations "$reservations" --checks "$checks"
