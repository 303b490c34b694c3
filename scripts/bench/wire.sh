#!/usr/bin/env bash
# Throughput and latency over the wire with the shared librdkafka load generator (../shared/bench/bench.sh).
#   usage: scripts/bench/wire.sh single|cluster|rf3|mock [quick|full] [RUNS=3] [OUTDIR]
#   single:  one broker (the built CLI), 6 partitions
#   cluster: three brokers on this machine (`cli.js cluster`), 6 partitions, replication factor 3
#   rf3:     the same cluster with one step only: 1 KiB records, acks=all, no compression (1,000,000 records), so
#            that no replication left over from bench.sh's earlier acks=1 steps shares the two cores with it
#   mock:    librdkafka's in-memory mock cluster (one broker), the C peer to compare against in the same session
# Every run gets a fresh broker and data dir. As root, the page cache is dropped before each run: on this VM a
# page cache that keeps growing into memory never touched before makes writes several times slower, and run
# after run the figures would drift with it rather than with the broker.
# Writes OUTDIR/run-N.tsv (+ .err, broker log), the load average before each run, and prints medians.
# env: BENCH_DIR (default ../shared/bench beside the repo), BASE_PORT (default 19492).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bench=${BENCH_DIR:-$repo/../shared/bench}
what=${1:?usage: wire.sh single|cluster|mock [quick|full] [RUNS] [OUTDIR]}
mode=${2:-quick}
runs=${3:-3}
out=${4:-$repo/bench-results/$what-$(date +%Y%m%d-%H%M%S)}
port=${BASE_PORT:-19492}
mkdir -p "$out"

if [ "$what" = mock ]; then
  exec "$bench/run-mock.sh" 1 "$mode" "$runs" "$out"
fi
[ -f "$repo/dist/src/cli.js" ] || (cd "$repo" && npm run build --silent)

wait_port() {  # PORT: until something accepts connections there (20 s at most)
  for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "wire.sh: nothing listening on port $1" >&2; return 1
}
settle() {
  sync
  if [ "$(id -u)" = 0 ]; then echo 3 >/proc/sys/vm/drop_caches; fi
  sleep 2
}

for i in $(seq 1 "$runs"); do
  data=$(mktemp -d /tmp/nk-bench-XXXXXX)
  settle
  echo "run $i: load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt" >&2
  if [ "$what" = single ]; then
    node "$repo/dist/src/cli.js" start --override "log.dirs=$data" --override "listeners=PLAINTEXT://127.0.0.1:$port" \
      --override log.level=warn >"$out/broker-$i.log" 2>&1 &
    top=$!
    wait_port "$port"
    pids=$top
    env=(PARTITIONS=6)
  elif [ "$what" = cluster ] || [ "$what" = rf3 ]; then
    node "$repo/dist/src/cli.js" cluster --nodes 3 --base-port "$port" --dir "$data" --override log.level=warn \
      >"$out/broker-$i.log" 2>&1 &
    top=$!
    for p in "$port" $((port + 1)) $((port + 2)); do wait_port "$p"; done
    # Listening is not enough for CreateTopics with replication factor 3: every broker must have registered.
    for _ in $(seq 100); do kcat -m 5 -L -b "127.0.0.1:$port" 2>/dev/null | grep -q ' 3 brokers:' && break; sleep 0.2; done
    pids=$(pgrep -d, -P "$top")
    env=(PARTITIONS=6 REPLICATION=3)
  else
    echo "wire.sh: what must be single, cluster or mock" >&2; exit 2
  fi
  if [ "$what" = rf3 ]; then
    kb=$bench/kbench
    [ -x "$kb" ] || gcc -O2 -Wall -o "$kb" "$bench/kbench.c" -lrdkafka -lpthread
    { "$kb" create -b "127.0.0.1:$port" -t rf3-$i -p 6 -r 3 -x topic &&
      "$kb" produce -b "127.0.0.1:$port" -t rf3-$i -n 1000000 -s 1024 -a all -z none -B "$pids" -x produce_1024B_acksall_none
    } >"$out/run-$i.tsv" 2>"$out/run-$i.err" || echo "run $i: failed, see $out/run-$i.err" >&2
  else
    env "${env[@]}" BROKER_PIDS="$pids" "$bench/bench.sh" "127.0.0.1:$port" "$mode" >"$out/run-$i.tsv" 2>"$out/run-$i.err" ||
      echo "run $i: a step failed, see $out/run-$i.err" >&2
  fi
  kill -TERM "$top"
  wait "$top" || echo "run $i: broker exited with $?" >&2
  rm -rf "$data"
done
/usr/bin/python3 "$bench/summarize.py" "$out"/run-*.tsv | tee "$out/summary.tsv"
