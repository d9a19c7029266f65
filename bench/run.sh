#!/usr/bin/env bash
# Runs every scenario three times on SQLite and on PostgreSQL (release
# builds), keeping each run's JSON in target/bench/. bench/RESULTS.md quotes
# the medians. Needs PostgreSQL on 127.0.0.1:5432 and NATS on :4222.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p madang -p madang-bench
out=target/bench
mkdir -p "$out"
pg_admin=${MADANG_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
bench=./target/release/madang-bench
for run in 1 2 3; do
  for backend in sqlite postgres; do
    db=()
    if [ "$backend" = postgres ]; then
      name="madang_bench_$run"
      psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -qc "CREATE DATABASE $name"
      db=(--database-url "${pg_admin%/*}/$name")
    fi
    echo "== run $run on $backend"
    nats=(); [ "$backend" = sqlite ] && nats=(--nats)
    $bench fanout --members 1000 --secs 10 "${nats[@]}" "${db[@]}" --json "$out/fanout-$backend-$run.json"
    if [ "$backend" = postgres ]; then
      psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -qc "CREATE DATABASE $name"
    fi
    # Half of the maximum rate this round measured (madang's sends/s).
    half=${HALF_RATE:-$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))[-1]["sends_per_sec"] / 2))' "$out/fanout-$backend-$run.json")}
    $bench fanout --members 1000 --secs 10 --rate "$half" "${db[@]}" --json "$out/fanout-half-$backend-$run.json"
    if [ "$backend" = postgres ]; then
      psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -qc "CREATE DATABASE $name"
    fi
    if [ "$backend" = postgres ]; then
      # The same room with its members spread over three nodes (NATS between them).
      for shape in max half; do
        psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -qc "CREATE DATABASE $name"
        rate=(); [ "$shape" = half ] && rate=(--rate "$half")
        $bench fanout --members 1000 --secs 10 --nodes 3 "${rate[@]}" "${db[@]}" --json "$out/fanout-3nodes-$shape-$run.json"
      done
      psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -qc "CREATE DATABASE $name"
    fi
    $bench sends --clients 32 --shape direct --secs 10 "${db[@]}" --json "$out/sends-direct-$backend-$run.json"
    if [ "$backend" = postgres ]; then
      psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -qc "CREATE DATABASE $name"
    fi
    $bench sends --clients 32 --shape group --secs 10 "${db[@]}" --json "$out/sends-group-$backend-$run.json"
    if [ "$backend" = postgres ]; then
      psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -qc "CREATE DATABASE $name"
    fi
    $bench catchup --messages 10000 --rooms 100 "${db[@]}" --json "$out/catchup-$backend-$run.json"
    if [ "$backend" = postgres ]; then
      psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -qc "CREATE DATABASE $name"
    fi
    $bench campaign --recipients 1000000 --kill-at 0.5 "${db[@]}" --json "$out/campaign-$backend-$run.json"
    if [ "$backend" = postgres ]; then
      psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -qc "CREATE DATABASE $name"
    fi
    $bench push --members 3000 "${db[@]}" --json "$out/push-$backend-$run.json"
    if [ "$backend" = postgres ]; then
      psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)"
    fi
  done
  # Discovery is in process and needs no database.
  $bench discovery --rooms 100000 --members 1000000 --json "$out/discovery-$run.json"
  # Message search, in process, against the store (it makes and drops its
  # own PostgreSQL database).
  $bench search --messages 1000000 --rooms 10000 --json "$out/search-sqlite-$run.json"
  $bench search --messages 1000000 --rooms 10000 --postgres "$pg_admin" --json "$out/search-postgres-$run.json"
done
echo "results in $out"
