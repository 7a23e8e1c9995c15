#!/usr/bin/env bash
# Issue 5, containers changing under a running portlight, end to end with
# the real portlight binary; python3-zeroconf in netns B and avahi-browse
# in A check the result:
#   1. 20 labelled containers started in parallel while portlight starts:
#      each announced exactly once (one "added" seen from B, never
#      removed, no " #2", one avahi-browse line, one announcing line);
#  10. docker rename: a name taken from the container name follows it;
#      network connect/disconnect: re-inspected, nothing churns while a
#      network still carries the published port, withdrawn when none does,
#      back on connect; pause withdraws, unpause announces; SIGHUP
#      resyncs every engine (logged) and nothing changes on the wire;
#  health: a Docker healthcheck announces when healthy, withdraws when
#      unhealthy, and portlight.health=ignore stays announced; on rootful
#      Podman, repeated per-check health_status events change nothing.
#      Podman's healthcheck timers need systemd, which this machine does
#      not run: `podman healthcheck run` produces the same events by hand.
# Host ports: the sandbox's block (pl_port 0-9).  The 20 burst containers
# use the host network and expose port 80 (no host port to allocate:
# dockerd's ephemeral ports are picked in the same order by every dockerd
# on the machine, so another test's dockerd may hold the one ours picks).
set -euo pipefail
SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SOURCE_DIR/tests/integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib-podman.sh
. "$SOURCE_DIR/tests/integration/lib-podman.sh"

T=_http._tcp
pl_init changes
P0=$(pl_port 0) P1=$(pl_port 1) P3=$(pl_port 3) P4=$(pl_port 4)
P9=$(pl_port 9)

# Both sandboxes are cleaned up at exit, Podman's first.
# shellcheck disable=SC2317 # the EXIT trap
on_exit() {
	local rc=$?
	set +e
	plp_cleanup
	pl_cleanup
	exit "$rc"
}
plp_init "pl-chg-${PL_TAG:0:4}"
trap on_exit EXIT
# The Podman service starts beside the Docker sandbox (its pid goes to
# a file that plp_cleanup reads).
(plp_rootful_start && plp_import "$PLP_ROOTFUL_SOCK") &
podman_pid=$!
pl_sandbox
wait "$podman_pid" || pl_die "the rootful Podman service did not start"

# ------------------------------------------------------------------ helpers

# watch_start LABEL [NAME...]: a python3-zeroconf observer of $T in B, one
# JSON line per change, in $PL_DIR/watch-LABEL.jsonl; watch_stop ends it
# (by its pid: ip netns exec and python exec).  With NAMEs (instances
# already announced), it returns once B has each of them and nothing has
# come in for 1.5 s: a name's SRV, TXT and address records may follow its
# PTR ("updated") for a while on a busy machine, and that is not churn.
# WATCH_SETTLED is how many lines the file had then.
watch_start() {
	local label=$1 size last_size=-1 quiet=0
	shift
	WATCH_FILE=$PL_DIR/watch-$label.jsonl
	pl_mdns_bg "$WATCH_FILE" "$PL_DIR/watch-$label.err" watch "$T" \
		--timeout 120
	WATCH_PID=$PL_MDNS_PID
	for _ in $(seq 150); do
		[ $# -gt 0 ] || break
		size=$(stat -c %s "$WATCH_FILE")
		if [ "$size" = "$last_size" ]; then
			quiet=$((quiet + 1))
		else
			quiet=0 last_size=$size
		fi
		[ "$quiet" -ge 15 ] && watch_has_all "$@" && break
		sleep 0.1
	done
	WATCH_SETTLED=$(wc -l <"$WATCH_FILE")
}

# watch_has_all NAME...: the watch saw each NAME added.
watch_has_all() {
	/usr/bin/python3 - "$WATCH_FILE" "$@" <<'EOF'
import json, sys
seen = set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == "added":
        seen.add(e["name"])
sys.exit(0 if set(sys.argv[2:]) <= seen else 1)
EOF
}

watch_stop() {
	kill -TERM "$WATCH_PID" 2>/dev/null || true
	wait "$WATCH_PID" 2>/dev/null || true
}

# watch_events KIND [NAME-REGEX]: how many KIND events the last watch saw.
watch_events() {
	/usr/bin/python3 - "$WATCH_FILE" "$1" "${2:-.*}" <<'EOF'
import json, re, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == sys.argv[2] and re.fullmatch(sys.argv[3], e["name"]):
        n += 1
print(n)
EOF
}

# watch_churn [NAME-REGEX]: changes to matching names the last watch saw
# after it settled (see watch_start): every one of them is churn.
watch_churn() {
	/usr/bin/python3 - "$WATCH_FILE" "${1:-.*}" "$WATCH_SETTLED" <<'EOF'
import json, re, sys
churn = 0
for i, line in enumerate(open(sys.argv[1])):
    e = json.loads(line)
    if i >= int(sys.argv[3]) and re.fullmatch(sys.argv[2], e["name"]):
        sys.stderr.write("churn seen from B: %s" % line)
        churn += 1
print(churn)
EOF
}

# inspects NAME: how many inspects of container NAME portlight logged.
inspects() {
	pl_portlight_log_count "debug: [a-z]+: container [0-9a-f]{12} \\($1\\): "
}

# avahi_lines NAME...: how many resolved IPv4 lines avahi-daemon's own
# view has for each instance NAME, space-separated.
avahi_lines() {
	local view n out=()
	view=$(pl_avahi_browse "$T")
	for n in "$@"; do
		out+=("$(grep -c "^=;$PL_VETH_A;IPv4;$n;" <<<"$view" || true)")
	done
	printf '%s\n' "${out[*]}"
}

# shellcheck disable=SC2317
b_sees_not() {
	pl_mdns browse "$T" --timeout 1.5 >"$PL_DIR/b.json" &&
		! pl_json "$PL_DIR/b.json" '[s["name"] for s in d["services"]]' |
		grep -q "\"$1\""
}

# -------------------------------------- 1. a burst while portlight starts

N=20
watch_start burst
pids=()
for i in $(seq -w 1 "$N"); do
	pl_docker run -d --name "burst-$i" --network host --expose 80 \
		-l portlight.enable=true "$PL_IMAGE" \
		sh -c 'trap "exit 0" TERM; sleep 3600 & wait' >/dev/null &
	pids+=($!)
done
pl_portlight_start -H "unix://$PL_DOCKER_SOCK" -H "unix://$PLP_ROOTFUL_SOCK"
failed=0
for p in "${pids[@]}"; do
	wait "$p" || failed=$((failed + 1))
done
pl_check "$N docker runs in parallel with portlight's start ($failed failed)" \
	test "$failed" -eq 0
pl_check "portlight announced all $N (log)" \
	pl_wait_for 60 pl_portlight_log_count_is 'announced "burst-[0-9]+"' "$N"
sleep 1 # anything announced twice, or withdrawn, would show by now
watch_stop
pl_check "B saw $N burst names added" \
	test "$(watch_events added 'burst-[0-9]+')" -eq "$N"
pl_check "B saw no burst name removed" \
	test "$(watch_events removed 'burst-.*')" -eq 0
pl_check "B saw no renamed name (\" #2\")" \
	test "$(watch_events added '.*#.*')" -eq 0
pl_mdns browse "$T" --timeout 1.5 >"$PL_DIR/burst.json"
pl_check "B sees $N distinct burst names now" \
	test "$(pl_json "$PL_DIR/burst.json" \
		'len({s["name"] for s in d["services"] if s["name"].startswith("burst-")})')" -eq "$N"
once=0
view=$(pl_avahi_browse "$T")
for i in $(seq -w 1 "$N"); do
	[ "$(grep -c "^=;$PL_VETH_A;IPv4;burst-$i;" <<<"$view")" -eq 1 ] &&
		once=$((once + 1))
	[ "$(pl_portlight_log_count "announcing \"burst-$i\"")" -eq 1 ] || pl_log "burst-$i: announcing logged $(pl_portlight_log_count "announcing \"burst-$i\"") times"
done
pl_check "avahi-browse lists each of the $N once ($once)" test "$once" -eq "$N"
pl_check "each burst container announcing logged once" \
	pl_portlight_log_count_is 'announcing "burst-[0-9]+"' "$N"
mapfile -t ids < <(pl_docker ps -q --filter name=burst-)
pl_docker rm -f "${ids[@]}" >/dev/null
pl_check "removed: every burst name withdrawn" \
	pl_wait_for 20 pl_portlight_log_count_is '\(burst-[0-9]+\): withdrawn' "$N"

# ------------------------------------------------------------ 10. rename

pl_docker_httpd ren -p "$P0:80" -l portlight.enable=true
pl_check "ren (name from the container name) announced" \
	pl_mdns wait ren "$T" --port "$P0" --timeout 15
pl_docker rename ren renamed
pl_check "docker rename: the new name renamed is announced" \
	pl_mdns wait renamed "$T" --port "$P0" --timeout 15
pl_check "docker rename: the old name ren is gone" \
	pl_mdns gone ren "$T" --timeout 10
pl_check "docker rename: avahi-browse lists renamed once, ren never" \
	test "$(avahi_lines renamed ren)" = "1 0"

# ---------------------------------------------------------- 10. networks

n1=$(pl_pick_subnet) || pl_die "no free subnet"
pl_docker network create --subnet "$n1.0/24" plnet1 >/dev/null
n2=$(pl_pick_subnet) || pl_die "no free subnet"
pl_docker network create --subnet "$n2.0/24" plnet2 >/dev/null
pl_docker_httpd netc --network plnet1 -p "$P1:80" -l portlight.name=Netc
pl_check "Netc (on plnet1) announced" \
	pl_mdns wait Netc "$T" --port "$P1" --timeout 15
watch_start net Netc
seen=$(inspects netc) announcing=$(pl_portlight_log_count 'announcing "Netc"')
pl_docker network connect plnet2 netc
pl_check "network connect: netc re-inspected" \
	pl_wait_for 10 pl_portlight_log_count_above "debug: [a-z]+: container [0-9a-f]{12} \\(netc\\): " "$seen"
seen=$(inspects netc)
pl_docker network disconnect plnet1 netc
pl_check "network disconnect (plnet2 still carries the port): re-inspected" \
	pl_wait_for 10 pl_portlight_log_count_above "debug: [a-z]+: container [0-9a-f]{12} \\(netc\\): " "$seen"
sleep 1.5
watch_stop
pl_check "connect/disconnect with the port still published: no new announcing" \
	pl_portlight_log_count_is 'announcing "Netc"' "$announcing"
pl_check "connect/disconnect with the port still published: no churn from B" \
	test "$(watch_churn Netc)" -eq 0
pl_docker network disconnect plnet2 netc
pl_check "disconnected from its last network (no published port): withdrawn" \
	pl_mdns gone Netc "$T" --timeout 10
pl_docker network connect plnet1 netc
pl_check "connected again: Netc announced again" \
	pl_mdns wait Netc "$T" --port "$P1" --timeout 15
pl_check "avahi-browse lists Netc once" test "$(avahi_lines Netc)" -eq 1

# ------------------------------------------------------- 10. pause, HUP

pl_docker pause netc
pl_check "docker pause: Netc withdrawn" pl_mdns gone Netc "$T" --timeout 10
pl_docker unpause netc
pl_check "docker unpause: Netc announced" \
	pl_mdns wait Netc "$T" --port "$P1" --timeout 15

watch_start hup renamed Netc
announcing=$(pl_portlight_log_count 'announcing|withdrawing')
streaming=$(pl_portlight_log_count '-> STREAMING')
kill -HUP "$PL_PORTLIGHT_PID"
pl_check "SIGHUP: a full resync is logged" \
	pl_wait_for 10 pl_portlight_log_has 'SIGHUP: .*resync'
pl_check "SIGHUP: both engines listed again" \
	pl_wait_for 15 pl_portlight_log_count_is '-> STREAMING' "$((streaming + 2))"
sleep 2
watch_stop
pl_check "SIGHUP: nothing announced or withdrawn anew (log)" \
	pl_portlight_log_count_is 'announcing|withdrawing' "$announcing"
pl_check "SIGHUP: no change seen from B" \
	test "$(watch_churn)" -eq 0
pl_check "SIGHUP: renamed and Netc still there" \
	pl_mdns wait Netc "$T" --port "$P1" --timeout 5

# ---------------------------------------------------- health, on Docker

hc=(--health-cmd 'test -f /tmp/ok' --health-interval 1s --health-retries 1
	--health-timeout 2s)
pl_docker_httpd hc -p "$P3:80" -l portlight.name=Healthy "${hc[@]}"
pl_docker_httpd hcign -p "$P4:80" -l portlight.name=Ignored \
	-l portlight.health=ignore "${hc[@]}"
# shellcheck disable=SC2317
health() {
	pl_docker inspect -f '{{.State.Health.Status}}' "$1"
}
# shellcheck disable=SC2317
health_is() {
	[ "$(health "$1")" = "$2" ]
}
pl_check "hc and hcign turn unhealthy (no /tmp/ok)" \
	pl_wait_for 15 eval 'health_is hc unhealthy && health_is hcign unhealthy'
pl_check "portlight.health=ignore: Ignored announced while unhealthy" \
	pl_mdns wait Ignored "$T" --port "$P4" --timeout 10
pl_check "unhealthy: Healthy is not announced" b_sees_not Healthy
pl_docker exec hc sh -c ': >/tmp/ok'
pl_check "healthy: Healthy announced" \
	pl_mdns wait Healthy "$T" --port "$P3" --timeout 15
pl_docker exec hc /bin/busybox rm /tmp/ok
pl_check "unhealthy again: Healthy withdrawn" \
	pl_mdns gone Healthy "$T" --timeout 15
pl_check "portlight.health=ignore: Ignored still announced" \
	pl_mdns wait Ignored "$T" --port "$P4" --timeout 5

# ---------------------------------------------------- health, on Podman

plp_run "$PLP_ROOTFUL_SOCK" phc "$P9" -l portlight.name=PodHealthy \
	--health-cmd 'test -f /ok' --health-interval 1s --health-retries 1 \
	>/dev/null
pcheck() {
	plp_podman "$PLP_ROOTFUL_SOCK" healthcheck run phc >/dev/null 2>&1 || true
}
pl_check "Podman: phc tracked by portlight" \
	pl_wait_for 15 pl_portlight_log_has 'podman: container [0-9a-f]{12} \(phc\)'
pl_check "Podman: phc not announced while its health is starting" \
	b_sees_not PodHealthy
plp_podman "$PLP_ROOTFUL_SOCK" exec phc /bin/busybox touch /ok
pcheck
pl_check "Podman: healthy after a healthcheck run: PodHealthy announced" \
	pl_mdns wait PodHealthy "$T" --port "$P9" --timeout 15
watch_start podman PodHealthy
announcing=$(pl_portlight_log_count 'announcing "PodHealthy"|PodHealthy.*withdraw')
events=$(pl_portlight_log_count 'podman: event container health_status')
for _ in 1 2 3 4; do
	pcheck
	sleep 0.5
done
pl_check "Podman: 4 more healthy health_status events reached portlight" \
	pl_wait_for 5 pl_portlight_log_count_is 'podman: event container health_status' "$((events + 4))"
sleep 1.5
watch_stop
pl_check "Podman: repeated health events: no new announcing line" \
	pl_portlight_log_count_is 'announcing "PodHealthy"|PodHealthy.*withdraw' "$announcing"
pl_check "Podman: repeated health events: no goodbye or re-add seen from B" \
	test "$(watch_churn PodHealthy)" -eq 0
plp_podman "$PLP_ROOTFUL_SOCK" exec phc /bin/busybox rm /ok
pcheck
pl_check "Podman: unhealthy: PodHealthy withdrawn" \
	pl_mdns gone PodHealthy "$T" --timeout 10

pl_portlight_stop TERM 10 || true
pl_check "portlight exits 0 on SIGTERM" pl_portlight_status_is 0
pl_finish
