#!/usr/bin/env bash
# Before and after, in one run: `sends` (64 clients, 1:1 rooms and one
# group), `fanout` and `catchup`, three rounds, on SQLite and PostgreSQL,
# alternating a "before" server binary with this checkout's. Each run's
# JSON lands in target/bench/sends-compare/; the medians are printed at
# the end (bench/RESULTS.md quotes them).
#
#   bench/sends.sh BEFORE_BINARY [ROUNDS]
#
# BEFORE_BINARY is a release `madang` built from the commit to compare
# with (e.g. `git worktree add /tmp/before <commit>` and
# `cargo build --release -p madang` there). Needs PostgreSQL on
# 127.0.0.1:5432.
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?usage: bench/sends.sh BEFORE_BINARY [ROUNDS]}
rounds=${2:-3}
cargo build --release -p madang -p madang-bench
out=target/bench/sends-compare
rm -rf "$out" && mkdir -p "$out"
pg_admin=${MADANG_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
bench=./target/release/madang-bench
fresh_pg() {
  psql "$pg_admin" -qc "DROP DATABASE IF EXISTS madang_sends_bench WITH (FORCE)" -qc "CREATE DATABASE madang_sends_bench"
}
total=$((rounds * 2 * 2 * 4))
step=0
for round in $(seq 1 "$rounds"); do
  for backend in sqlite postgres; do
    for build in before after; do
      bin=target/release/madang
      [ "$build" = before ] && bin=$before
      db=()
      [ "$backend" = postgres ] && db=(--database-url "${pg_admin%/*}/madang_sends_bench")
      for scenario in direct group fanout catchup; do
        step=$((step + 1))
        echo "== [$step/$total] round $round, $backend, $build: $scenario" >&2
        [ "$backend" = postgres ] && fresh_pg
        json="$out/$scenario-$backend-$build-$round.json"
        case $scenario in
          direct | group) $bench sends --bin "$bin" --clients 64 --shape "$scenario" --secs 10 "${db[@]}" --json "$json" ;;
          fanout) $bench fanout --bin "$bin" --members 1000 --secs 10 "${db[@]}" --json "$json" ;;
          catchup) $bench catchup --bin "$bin" --messages 10000 --rooms 100 "${db[@]}" --json "$json" ;;
        esac > /dev/null
      done
    done
  done
done
[ "$backend" = postgres ] && psql "$pg_admin" -qc "DROP DATABASE IF EXISTS madang_sends_bench WITH (FORCE)"
python3 - "$out" <<'EOF'
import json, pathlib, statistics, sys
out = pathlib.Path(sys.argv[1])
def load(name):
    data = json.loads((out / name).read_text())
    return data[-1] if isinstance(data, list) else data
def figure(scenario, data):
    if scenario in ("direct", "group"):
        return data["sends_per_sec"], data["ack_latency"]["p99_ms"]
    if scenario == "fanout":
        return data["deliveries_per_sec"], data["latency"]["p99_ms"]
    return data["seconds"], None
print(f"{'scenario':<10} {'backend':<9} {'before':>22} {'after':>22} {'ratio':>6}")
for scenario in ("direct", "group", "fanout", "catchup"):
    for backend in ("sqlite", "postgres"):
        cols = {}
        for build in ("before", "after"):
            runs = sorted(out.glob(f"{scenario}-{backend}-{build}-*.json"))
            figs = [figure(scenario, load(r.name)) for r in runs]
            main = statistics.median(f[0] for f in figs)
            p99 = [f[1] for f in figs if f[1] is not None]
            cols[build] = (main, statistics.median(p99) if p99 else None, [round(f[0], 3) for f in figs])
        def show(c):
            main, p99, all_ = c
            return f"{main:,.3f}" + (f" (p99 {p99:.1f} ms)" if p99 is not None else "")
        ratio = cols["after"][0] / cols["before"][0] if cols["before"][0] else float("nan")
        print(f"{scenario:<10} {backend:<9} {show(cols['before']):>22} {show(cols['after']):>22} {ratio:>6.2f}")
        print(f"{'':<20} runs before {cols['before'][2]}, after {cols['after'][2]}")
EOF
