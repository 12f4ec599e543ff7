#!/usr/bin/env bash
# Provisioning latency, POST /v1/instances → running, in both modes, with the shipped defaults
# (fake driver spawn latency 200 ms). Prints the figures docs/benchmarks.md records.
#   bench/run.sh [count]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
count=${1:-100}
bench() { dotnet "$root/bench/ProvisioningLatency/bin/Release/net10.0/IaasApi.ProvisioningLatency.dll" "$@"; }

mkdir -p "$work/embedded"
start_api 5181 Iaas__DataDirectory="$work/embedded" Iaas__SeedDemoData=false
bench --url http://127.0.0.1:5181 --admin-key "$key" --count "$count" --label "embedded (SQLite + in-memory Hangfire)"
bench --url http://127.0.0.1:5181 --admin-key "$key" --count "$count" --concurrency 10 --label "embedded (SQLite + in-memory Hangfire)"
stop_api

pg=$(start_postgres)
start_api 5182 ConnectionStrings__Postgres="$pg" Iaas__MigrateOnStart=true
bench --url http://127.0.0.1:5182 --admin-key "$key" --count "$count" --label "PostgreSQL (Hangfire.PostgreSql, in-process server)"
bench --url http://127.0.0.1:5182 --admin-key "$key" --count "$count" --concurrency 10 --label "PostgreSQL (Hangfire.PostgreSql, in-process server)"
stop_api
