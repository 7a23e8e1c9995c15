#!/bin/bash
# test_engine: the engine connection (backends/engine.c, backends/http.c)
# against a private, real dockerd: probe_engine prints one line per
# callback and we check them as containers start, stop, pause, and as
# dockerd itself is killed and started again.
#
# Then the same checks, shorter, against Podman's Docker-compatible
# service (podman system service): Podman is detected, its pods are
# reported, and its own events (init, cleanup, remove) flow.
#
# Needs root, dockerd, docker, podman, runc, busybox-static.  It fails (never skips)
# when it cannot run.  Everything it starts lives under lib.sh's sandbox
# folder and is ended by pid.  lib.sh gives it its names, its block of
# host ports (pl_port) and its dockerd (own bridge, no iptables), so it
# never meets another test, nor itself run from another build folder.

set -u
SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SOURCE_DIR/tests/integration/lib.sh"

fail() {
	echo "FAIL: $*" >&2
	if [ -n "${DIR:-}" ] && [ -f "$DIR/probe.out" ]; then
		echo "--- probe output" >&2
		tail -n 40 "$DIR/probe.out" >&2
		echo "--- probe log" >&2
		tail -n 40 "$DIR/probe.err" >&2
	fi
	exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root"
for cmd in dockerd docker podman runc setsid ss; do
	command -v "$cmd" >/dev/null || fail "$cmd not installed"
done
[ -x /bin/busybox ] || fail "busybox-static not installed"
PROBE=${PROBE_DIR:-$(dirname "$0")}/probe_engine
[ -x "$PROBE" ] || fail "no probe_engine at $PROBE (build first)"

# Podman with everything under $DIR (and runc: crun fails here).
P() {
	CONTAINERS_CONF=$DIR/containers.conf podman --root "$DIR/proot" \
	    --runroot "$DIR/prun" --tmpdir "$DIR/ptmp" \
	    --cgroup-manager cgroupfs --events-backend file \
	    --network-backend cni --network-config-dir "$DIR/cni" "$@"
}

# Ends what lib.sh does not know of in our folder: the Podman service,
# its containers' conmon, the probe.  lib.sh's pl_cleanup does the rest
# (dockerd, its shims, bridge, mounts, the folder, the ports).
clean_dir() {
	local d=$1 m DIR=$1
	[ -d "$d" ] || return 0
	if [ -f "$d/podman.pid" ]; then
		m=$(cat "$d/podman.pid")
		if [ "$(ps -p "$m" -o comm= 2>/dev/null)" = podman ]; then
			P rm -f -a -t 0 >/dev/null 2>&1
			P pod rm -f -a >/dev/null 2>&1
			kill "$m" 2>/dev/null
		fi
	fi
	# conmon of Podman containers outlives the service.
	for m in $(pgrep -f "conmon.*$d" 2>/dev/null); do
		kill -9 "$m" 2>/dev/null
	done
	if [ -f "$d/probe.pid" ]; then
		m=$(cat "$d/probe.pid")
		if [ "$(ps -p "$m" -o comm= 2>/dev/null)" = probe_engine ]; then
			kill "$m" 2>/dev/null
		fi
	fi
}

# pl_init removes what a crashed earlier run of this sandbox left (but
# not its conmon: no folder names it any more) and sets our EXIT trap,
# replaced below by one that ends our own processes first.
pl_init engine
for m in $(pgrep -f "conmon.*$PL_DIR" 2>/dev/null); do
	pl_log "leftover conmon $m of an earlier run: killing it"
	kill -9 "$m" 2>/dev/null
done
DIR=$PL_DIR
SOCK=$DIR/docker.sock
PROBE_PID=

cleanup() {
	if [ -n "$PROBE_PID" ]; then
		kill "$PROBE_PID" 2>/dev/null
		wait "$PROBE_PID" 2>/dev/null
	fi
	if [ -S "$SOCK" ]; then
		for c in $(docker -H "unix://$SOCK" ps -aq 2>/dev/null); do
			docker -H "unix://$SOCK" rm -f "$c" >/dev/null 2>&1
		done
	fi
	# ENGINE_TEST_LOGS=dir keeps the probe's output for a look afterwards.
	if [ -n "${ENGINE_TEST_LOGS:-}" ]; then
		mkdir -p "$ENGINE_TEST_LOGS"
		cp "$DIR"/probe.out "$DIR"/probe.err "$DIR"/dockerd.log \
		    "$ENGINE_TEST_LOGS"/ 2>/dev/null
	fi
	clean_dir "$DIR"
	pl_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# lib.sh's private dockerd: own bridge, --iptables=false, on $SOCK.
start_dockerd() {
	pl_dockerd_start
	[ "$PL_DOCKER_SOCK" = "$SOCK" ] || fail "dockerd on $PL_DOCKER_SOCK, not $SOCK"
}

D() {
	docker -H "unix://$SOCK" "$@"
}

# Waits until probe.out has a line matching the regex $1 after line $2.
wait_line() {
	local re=$1 from=${2:-0} t=${3:-20} i
	for i in $(seq $((t * 10))); do
		if tail -n +$((from + 1)) "$DIR/probe.out" | grep -Eq -- "$re"; then
			return 0
		fi
		sleep 0.1
	done
	fail "no line /$re/ within $t s (after line $from)"
}

# Fails if a line matching $1 appears after line $2 within $3 s.
no_line() {
	local re=$1 from=$2 t=$3
	sleep "$t"
	if tail -n +$((from + 1)) "$DIR/probe.out" | grep -Eq -- "$re"; then
		fail "unexpected line /$re/"
	fi
}

mark() {
	wc -l <"$DIR/probe.out"
}

start_dockerd

# The test image: busybox-static alone.
mkdir -p "$DIR/img/bin"
cp /bin/busybox "$DIR/img/bin/busybox"
for l in sh httpd sleep; do ln -s busybox "$DIR/img/bin/$l"; done
tar -C "$DIR/img" -cf "$DIR/img.tar" . || fail "tar"
D import "$DIR/img.tar" pl-engine-bb >/dev/null || fail "docker import"

# A container already running before the probe starts.
PORT1=$(pl_port 0)
PORT2=$(pl_port 1)
early=$(D run -d --name pl-early -p "$PORT1:80" pl-engine-bb \
    /bin/busybox httpd -f -p 80) || fail "docker run pl-early"

"$PROBE" -d "$SOCK" >"$DIR/probe.out" 2>"$DIR/probe.err" &
PROBE_PID=$!
echo "$PROBE_PID" >"$DIR/probe.pid"

wait_line '^sync end$'
# The early one was reported inside the first sync bracket.
awk '/^sync begin$/ { inside = 1 } /^sync end$/ { exit }
    inside && $1 == "container" && $2 == "'"$early"'" { found = 1 }
    END { exit !found }' "$DIR/probe.out" ||
    fail "running container not reported between sync begin and end"
grep -Eq '^engine docker 1\.[0-9]+ ' "$DIR/probe.out" ||
    fail "engine not detected as docker"
wait_line '^state STREAMING$'
echo "ok: early container reported in the sync, engine is docker"

# docker run -> container line (running).
m=$(mark)
web=$(D run -d --name pl-web -p "$PORT2:80" pl-engine-bb \
    /bin/busybox httpd -f -p 80) || fail "docker run pl-web"
wait_line "^container $web pl-web running" "$m" 10
echo "ok: docker run reported"

# pause -> gone; unpause -> container again.
m=$(mark)
D pause pl-web >/dev/null || fail "docker pause"
wait_line "^gone $web$" "$m" 10
m=$(mark)
D unpause pl-web >/dev/null || fail "docker unpause"
wait_line "^container $web pl-web running" "$m" 10
echo "ok: pause and unpause"

# docker kill -s HUP does not stop httpd: no gone.
m=$(mark)
D kill -s HUP pl-web >/dev/null || fail "docker kill -s HUP"
no_line "^gone $web$" "$m" 1
echo "ok: kill alone changes nothing"

# rename -> re-inspected under the new name.
m=$(mark)
D rename pl-web pl-web2 >/dev/null || fail "docker rename"
wait_line "^container $web pl-web2 running" "$m" 10
echo "ok: rename"

# engine_free from inside each kind of callback, and engine_resync from
# inside one: the probe must end cleanly (ASan builds report misuse).
for where in listing sync-begin sync-end container; do
	timeout 20 "$PROBE" -x "$where" "$SOCK" >"$DIR/x.out" 2>"$DIR/x.err" ||
	    fail "probe -x $where exited with $?: $(tail -n 5 "$DIR/x.err")"
	grep -q "^freed inside $where\$" "$DIR/x.out" ||
	    fail "probe -x $where: engine not freed inside $where"
	grep -q 'Sanitizer\|runtime error' "$DIR/x.err" &&
	    fail "probe -x $where: sanitizer report"
done
"$PROBE" -x gone "$SOCK" >"$DIR/x.out" 2>"$DIR/x.err" &
xpid=$!
for i in $(seq 100); do
	grep -q '^state STREAMING$' "$DIR/x.out" && break
	sleep 0.1
done
D pause pl-web2 >/dev/null || fail "docker pause"
for i in $(seq 100); do
	kill -0 "$xpid" 2>/dev/null || break
	sleep 0.1
done
kill "$xpid" 2>/dev/null
wait "$xpid" || fail "probe -x gone exited with an error"
grep -q '^freed inside gone$' "$DIR/x.out" || fail "probe -x gone: not freed"
D unpause pl-web2 >/dev/null || fail "docker unpause"
timeout 20 "$PROBE" -r container "$SOCK" >"$DIR/x.out" 2>"$DIR/x.err" &
xpid=$!
for i in $(seq 150); do
	grep -q '^resync inside container$' "$DIR/x.out" &&
	    [ "$(grep -c '^sync begin$' "$DIR/x.out")" -ge 2 ] &&
	    [ "$(grep -c '^sync end$' "$DIR/x.out")" -ge 1 ] && break
	sleep 0.1
done
kill "$xpid" 2>/dev/null
wait "$xpid"
grep -q '^resync inside container$' "$DIR/x.out" ||
    fail "probe -r container: no resync"
[ "$(grep -c '^sync begin$' "$DIR/x.out")" -ge 2 ] ||
    fail "probe -r container: no second sync after the resync"
grep -q '^exit$' "$DIR/x.out" || fail "probe -r container did not exit cleanly"
echo "ok: engine_free and engine_resync from inside callbacks"

# docker stop -> gone.
m=$(mark)
D stop -t 1 pl-web2 >/dev/null || fail "docker stop"
wait_line "^gone $web$" "$m" 15
echo "ok: docker stop reported gone"

# A burst: 12 started at once, then all removed at once; the last line
# for each must be the final truth.
m=$(mark)
runs=
for i in $(seq 12); do
	D run -d --name pl-burst$i pl-engine-bb /bin/busybox sleep 600 \
	    >"$DIR/burst$i.id" 2>&1 &
	runs="$runs $!"
done
# Only these: a bare wait would wait for the probe too.
wait $runs
ids=
for i in $(seq 12); do
	id=$(cat "$DIR/burst$i.id")
	[[ $id =~ ^[0-9a-f]{64}$ ]] || fail "docker run pl-burst$i: $id"
	ids="$ids $id"
done
for id in $ids; do
	wait_line "^container $id pl-burst[0-9]+ running" "$m" 20
done
m=$(mark)
D rm -f $ids >/dev/null || fail "docker rm -f"
for id in $ids; do
	wait_line "^gone $id$" "$m" 20
done
sleep 1
for id in $ids; do
	last=$(grep -E "^(container|gone) $id" "$DIR/probe.out" | tail -n 1)
	case $last in
	"gone $id") ;;
	"container $id "*running*) fail "last word on $id: $last" ;;
	esac
done
echo "ok: burst of 12 started and removed at once"

# dockerd killed and started again: BACKOFF, then a new sync bracket.
m=$(mark)
D rm -f pl-web2 >/dev/null
pl_dockerd_halt
wait_line '^state BACKOFF$' "$m" 10
grep -q 'retrying in' "$DIR/probe.err" || fail "no 'retrying in' log line"
sleep 1
m2=$(mark)
start_dockerd
wait_line '^sync begin$' "$m2" 40
wait_line '^sync end$' "$m2" 20
wait_line '^state STREAMING$' "$m2" 10
# The early container (no restart policy) did not survive: it is not
# reported running after the restart, so the owner's sweep drops it.
if tail -n +$((m2 + 1)) "$DIR/probe.out" |
    grep -Eq "^container $early pl-early running"; then
	fail "container that did not survive reported running"
fi
echo "ok: dockerd restart -> BACKOFF, resync with sync begin/end"

# After the restart, events still flow.
m=$(mark)
late=$(D run -d --name pl-late pl-engine-bb /bin/busybox sleep 600) ||
    fail "docker run pl-late"
wait_line "^container $late pl-late running" "$m" 10
m=$(mark)
D rm -f pl-late >/dev/null
wait_line "^gone $late$" "$m" 10
echo "ok: events after reconnect"

# SIGHUP: engine_resync, a full new sync bracket.
m=$(mark)
kill -HUP "$PROBE_PID"
wait_line '^sync begin$' "$m" 10
wait_line '^sync end$' "$m" 10
echo "ok: resync"

kill "$PROBE_PID"
wait "$PROBE_PID"
rc=$?
PROBE_PID=
[ "$rc" = 0 ] || fail "probe exited with $rc"
grep -q '^exit$' "$DIR/probe.out" || fail "probe did not exit cleanly"
if grep -q 'Sanitizer\|runtime error' "$DIR/probe.err"; then
	fail "sanitizer report"
fi
echo "ok: docker part done"

# Podman's compat service.
cat >"$DIR/containers.conf" <<'CONF'
[engine]
runtime = "runc"
events_logger = "file"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
CONF
PSOCK=$DIR/podman.sock
(setsid bash -c 'echo $$ >"$1/podman.pid"; shift; exec "$@"' _ "$DIR" \
    env CONTAINERS_CONF="$DIR/containers.conf" podman --root "$DIR/proot" \
    --runroot "$DIR/prun" --tmpdir "$DIR/ptmp" --cgroup-manager cgroupfs \
    --events-backend file --network-backend cni \
    --network-config-dir "$DIR/cni" \
    system service --time=0 "unix://$PSOCK" \
    >>"$DIR/podman.log" 2>&1 </dev/null &)
for i in $(seq 100); do
	[ -S "$PSOCK" ] && break
	sleep 0.1
done
[ -S "$PSOCK" ] || fail "podman system service did not come up"
# A pod's infra needs catatonit (not installed): a script stands in.
printf '#!/bin/sh\nexec /bin/busybox sleep 100000\n' >"$DIR/img/pause"
chmod +x "$DIR/img/pause"
tar -C "$DIR/img" -cf "$DIR/img.tar" . || fail "tar"
P import "$DIR/img.tar" pl-engine-bb >/dev/null 2>"$DIR/import.err" ||
    fail "podman import: $(tail -n 3 "$DIR/import.err")"
P pod create --name pl-pod --infra-image localhost/pl-engine-bb:latest \
    --infra-command /pause >/dev/null || fail "podman pod create"
inpod=$(P run -d --pod pl-pod --name pl-inpod pl-engine-bb \
    /bin/busybox sleep 600) || fail "podman run in pod"

"$PROBE" -d "$PSOCK" >"$DIR/probe.out" 2>"$DIR/probe.err" &
PROBE_PID=$!
echo "$PROBE_PID" >"$DIR/probe.pid"
wait_line '^sync end$' 0 30
grep -Eq '^engine podman 1\.[0-9]+ podman:' "$DIR/probe.out" ||
    fail "engine not detected as podman (with a storage-root ID)"
grep -Eq "^container $inpod pl-inpod running podman pod=[0-9a-f]{12}\$" \
    "$DIR/probe.out" || fail "pod member not reported with its pod"
grep -Eq "^container [0-9a-f]+ [^ ]+-infra running podman pod=[0-9a-f]{12} infra\$" \
    "$DIR/probe.out" || fail "pod infra container not flagged"
echo "ok: podman detected, pod and infra reported in the sync"

m=$(mark)
pw=$(P run -d --name pl-pweb pl-engine-bb /bin/busybox sleep 600) ||
    fail "podman run"
wait_line "^container $pw pl-pweb running podman" "$m" 15
m=$(mark)
P pause pl-pweb >/dev/null || fail "podman pause"
wait_line "^gone $pw$" "$m" 10
m=$(mark)
P unpause pl-pweb >/dev/null || fail "podman unpause"
wait_line "^container $pw pl-pweb running podman" "$m" 10
m=$(mark)
P rm -f -t 0 pl-pweb >/dev/null || fail "podman rm"
wait_line "^gone $pw$" "$m" 15
# gone came with stop/die; Podman's own remove follows.
for i in $(seq 100); do
	grep -q 'event container remove' "$DIR/probe.err" && break
	sleep 0.1
done
grep -q 'event container remove' "$DIR/probe.err" ||
    fail "no Podman remove event seen"
echo "ok: podman run, pause, unpause, rm"

kill "$PROBE_PID"
wait "$PROBE_PID"
rc=$?
PROBE_PID=
[ "$rc" = 0 ] || fail "probe (podman) exited with $rc"
grep -q '^exit$' "$DIR/probe.out" || fail "probe (podman) did not exit cleanly"
if grep -q 'Sanitizer\|runtime error' "$DIR/probe.err"; then
	fail "sanitizer report (podman)"
fi
echo "PASS: test_engine"
