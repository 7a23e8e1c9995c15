#!/usr/bin/env bash
# portlight's benchmark: figures, not a pass/fail test (not part of ctest;
# tests/integration/test_load.sh asserts the same things generously).
# In the sandbox of tests/integration/lib.sh (private dockerd, dbus-daemon,
# avahi-daemon in netns A, zeroconf in netns B), with the real portlight:
#
#   1. start -> visible and stop -> gone, step by step, for BENCH_SAMPLES
#      containers started and stopped one at a time: dockerd's event time
#      (timeNano), portlight reading it, the inspect answered, the entry
#      group committed (portlight's share ends here), Avahi's probing,
#      zeroconf in B seeing it; the same for the die event and goodbye.
#      portlight's stderr and the zeroconf watch are stamped as read
#      (bench.py stamp), so every step is on the machine's wall clock.
#   2. portlight's RSS (VmRSS) idle, and with BENCH_N containers announced.
#   3. BENCH_CYCLES real start/stop cycles (BENCH_CTRS containers, cycled
#      in parallel by BENCH_WORKERS workers): RSS every tenth of the way,
#      portlight's CPU time per event and per cycle, and the cycle rate
#      (dockerd's, mostly).
#
#   sudo bash tests/bench/bench.sh                 (build/portlight)
#   sudo PORTLIGHT_BIN=build-x/portlight BENCH_CYCLES=200 bash tests/bench/bench.sh
#
# Takes about 10 minutes with the defaults on a 2-core machine (dockerd
# needs 0.2-1 s per container start).  Results and how to read them:
# tests/bench/README.md.
# shellcheck disable=SC2317 # functions run through pl_parallel
set -euo pipefail
SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PORTLIGHT_BIN=${PORTLIGHT_BIN:-$SOURCE_DIR/build/portlight}
# shellcheck source=../integration/lib.sh
. "$SOURCE_DIR/tests/integration/lib.sh"

SAMPLES=${BENCH_SAMPLES:-15}
N=${BENCH_N:-100}
CYCLES=${BENCH_CYCLES:-1000}
CTRS=${BENCH_CTRS:-10}
WORKERS=${BENCH_WORKERS:-5}
BENCH_PY=$SOURCE_DIR/tests/bench/bench.py
T=_http._tcp

[ -x "$PORTLIGHT_BIN" ] ||
	{ echo "bench.sh: no portlight at $PORTLIGHT_BIN (build first, or set PORTLIGHT_BIN)" >&2; exit 1; }
if [ $((CYCLES % CTRS)) -ne 0 ] || [ $((CTRS % WORKERS)) -ne 0 ]; then
	echo "bench.sh: BENCH_CYCLES must be a multiple of BENCH_CTRS, and that of BENCH_WORKERS" >&2
	exit 1
fi

pl_init bench
pl_sandbox
OUT=$PL_DIR/bench.out
: >"$OUT"

# say LINE: a line of the results (printed at the end too).
say() {
	printf '%s\n' "$*" | tee -a "$OUT"
}

create() {
	pl_api POST "/containers/create?name=$1" \
		"{\"Image\":\"$PL_IMAGE\",\"Cmd\":[\"sh\",\"-c\",\"trap 'exit 0' TERM; sleep 100000 & wait\"],\"Labels\":{\"portlight.enable\":\"true\"},\"ExposedPorts\":{\"80/tcp\":{}},\"HostConfig\":{\"NetworkMode\":\"host\"}}"
}

events() {
	pl_portlight_log_count ' portlight: debug: docker: event container '
}

# ------------------------------------------------- portlight, stamped log

LOG=$PL_DIR/portlight.stamped.log
mkfifo "$PL_DIR/portlight.fifo"
/usr/bin/python3 "$BENCH_PY" stamp <"$PL_DIR/portlight.fifo" >"$LOG" &
pl_track $! stamp
ip netns exec "$PL_NS_A" env -u DOCKER_HOST \
	DBUS_SYSTEM_BUS_ADDRESS="$PL_BUS_ADDRESS" "$PORTLIGHT_BIN" \
	-H "unix://$PL_DOCKER_SOCK" --log-level debug \
	</dev/null 2>"$PL_DIR/portlight.fifo" >&2 &
PID=$!
pl_track "$PID" portlight
# lib.sh's pl_portlight_* helpers work on this portlight and its log.
PL_PORTLIGHT_PID=$PID
PL_PORTLIGHT_LOG=$LOG
pl_wait_for 15 pl_portlight_log_has STREAMING || pl_die "portlight did not reach STREAMING"
curl -sN --unix-socket "$PL_DOCKER_SOCK" \
	'http://d/v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D' \
	>"$PL_DIR/events.jsonl" &
pl_track $! events
sleep 1
rss_idle=$(pl_rss_kb "$PID")

say "portlight benchmark: $(date -u +%F), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "binary: $PORTLIGHT_BIN ($("$PORTLIGHT_BIN" --version 2>&1 | head -1))"

# ---------------------------------------------------------- 1. latencies

# Through a fifo, not a pipe: each side is one tracked pid, and ending the
# watcher (last tracked, first ended) ends the stamper with EOF.
mkfifo "$PL_DIR/watch.fifo"
/usr/bin/python3 "$BENCH_PY" stamp <"$PL_DIR/watch.fifo" >"$PL_DIR/watch.log" &
pl_track $! watch-stamp
pl_mdns_bg "$PL_DIR/watch.fifo" "$PL_DIR/watch.err" watch "$T" \
	--timeout 100000
names=()
for ((i = 1; i <= SAMPLES; i++)); do
	n=$(printf 'bl-%02d' "$i")
	names+=("$n")
	create "$n" || pl_die "cannot create $n"
done
for n in "${names[@]}"; do
	pl_api POST "/containers/$n/start"
	sleep 2.5 # probing (~1 s) and the watcher
	pl_api POST "/containers/$n/stop?t=2"
	sleep 2.5 # the goodbye's 1 s TTL and the watcher
done
say ""
say "1. latency, $SAMPLES containers one at a time (ms):"
/usr/bin/python3 "$BENCH_PY" latency "$PL_DIR/events.jsonl" "$LOG" \
	"$PL_DIR/watch.log" "${names[@]}" | tee -a "$OUT"

# ------------------------------------------------- 2. RSS with N announced

mine() {
	seq $(($1 + 1)) "$WORKERS" "$N"
}
create_n() {
	local i
	for i in $(mine "$1"); do create "$(printf 'bn-%03d' "$i")"; done
}
start_n() {
	local i
	for i in $(mine "$1"); do pl_api POST "/containers/$(printf 'bn-%03d' "$i")/start"; done
}
stop_n() {
	local i
	for i in $(mine "$1"); do pl_api POST "/containers/$(printf 'bn-%03d' "$i")/stop?t=2"; done
}
pl_parallel "$WORKERS" create_n
t0=$(pl_now_ms)
cpu0=$(pl_cpu_ms "$PID")
ev0=$(events)
pl_parallel "$WORKERS" start_n
pl_wait_for 120 pl_portlight_log_count_above '\(bn-[0-9]*\): announced' $((N - 1)) ||
	say "  (not all $N were announced within 120 s)"
t1=$(pl_now_ms)
sleep 2
rss_n=$(pl_rss_kb "$PID")
cpu1=$(pl_cpu_ms "$PID")
ev1=$(events)
say ""
say "2. memory and a start burst:"
say "  RSS idle: $rss_idle kB; with $N containers announced: $rss_n kB ($(((rss_n - rss_idle) * 1024 / N)) bytes per container)"
say "  $N starts (dockerd, $WORKERS in parallel) -> all announced: $((t1 - t0)) ms; portlight CPU $((cpu1 - cpu0)) ms for $((ev1 - ev0)) events"
pl_parallel "$WORKERS" stop_n
sleep 3
rss_after=$(pl_rss_kb "$PID")
say "  RSS after they stopped again: $rss_after kB"

# ----------------------------------------------------- 3. start/stop cycles

ctr() {
	printf 'bc-%02d' "$1"
}
for ((i = 0; i < CTRS; i++)); do create "$(ctr "$i")"; done
# Worker W cycles the containers W, W+WORKERS, ...: one round is one cycle
# of each container.
cycle_round() {
	local i
	for ((i = $1; i < CTRS; i += WORKERS)); do
		pl_api POST "/containers/$(ctr "$i")/start" &&
			pl_api POST "/containers/$(ctr "$i")/stop?t=2" || return 1
	done
}
rounds=$((CYCLES / CTRS))
every=$((rounds / 10))
[ "$every" -gt 0 ] || every=1
say ""
say "3. $CYCLES real start/stop cycles ($CTRS containers, $WORKERS workers):"
say "  cycles   RSS kB   portlight CPU ms   s"
t0=$SECONDS
cpu0=$(pl_cpu_ms "$PID")
ev0=$(events)
say "$(printf '  %6d %8d %18d %5d' 0 "$(pl_rss_kb "$PID")" 0 0)"
failed=0
for ((r = 1; r <= rounds; r++)); do
	pl_parallel "$WORKERS" cycle_round || failed=$((failed + 1))
	if [ $((r % every)) -eq 0 ]; then
		rss_now=$(pl_rss_kb "$PID")
		[ -n "${rss_warm:-}" ] || rss_warm=$rss_now
		say "$(printf '  %6d %8d %18d %5d' $((r * CTRS)) "$rss_now" $(($(pl_cpu_ms "$PID") - cpu0)) $((SECONDS - t0)))"
	fi
done
sleep 3
cpu1=$(pl_cpu_ms "$PID")
ev1=$(events)
took=$((SECONDS - t0))
say "  $CYCLES cycles in $took s ($((CYCLES * 10 / (took > 0 ? took : 1))) cycles per 10 s); $failed rounds had a failed docker call"
say "  portlight: $((cpu1 - cpu0)) ms CPU for $((ev1 - ev0)) container events: $(((cpu1 - cpu0) * 1000 / ((ev1 - ev0) > 0 ? (ev1 - ev0) : 1))) us per event, $(((cpu1 - cpu0) * 1000 / CYCLES)) us per cycle"
say "  RSS after the first tenth (warm-up) $rss_warm kB, at the end $rss_now kB: $((rss_now - rss_warm)) kB of growth over the other $((CYCLES - every * CTRS)) cycles"
say "  entry groups committed $(grep -c '(bc-[0-9]*): committed' "$LOG") times, established (Avahi's ~1 s of probing over) $(grep -c '(bc-[0-9]*): announced' "$LOG") times, withdrawn $(grep -c '(bc-[0-9]*): withdrawn' "$LOG") times"
pl_avahi_groups 8 >"$PL_DIR/groups"
say "  entry groups left in avahi-daemon: $(awk '{ s += $2 } END { print s + 0 }' "$PL_DIR/groups") (none run)"

pl_portlight_stop TERM 10 || true
say "  SIGTERM: portlight exited with status $PL_PORTLIGHT_STATUS"
say ""
pl_dockerd_halt # faster than removing each container
echo "===== results ($OUT) ====="
cat "$OUT"
