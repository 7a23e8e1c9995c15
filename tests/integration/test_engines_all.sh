#!/usr/bin/env bash
# Issue 4 end to end: every engine on the host at once.  A private dockerd,
# a rootful Podman service and the rootless Podman of a user made by the
# test; ONE portlight as root with no -H (auto-detection) announces a
# labelled container of each with the right host port (python3-zeroconf in
# netns B), and `portlight list --json` names each one's engine.  Then: a
# pod with two labelled members is announced once (under the pod's name)
# and stays while one member goes; the user's service started after
# portlight is up brings its containers; a podman-docker style symlink
# (and a hard link) to the user's socket adds no duplicate; the user's
# service stopped for less than the grace period withdraws nothing, for
# longer (--engine-grace 3) withdraws its records with a log line saying
# so, and they are back when it returns; a portlight run as the rootless
# user sees exactly that user's containers.
#
# No test touches the machine's /var/run/docker.sock, /run/podman or
# /run/user: portlight runs in a mount namespace of its own in which /run
# (so /var/run too) is this test's folder $RUN, holding
#   docker.sock -> the private dockerd's socket (symlink)
#   podman/podman.sock           the rootful service's own socket
#   user/UID/podman/podman.sock  the test user's service (PLP_RUN)
# The sockets live in $RUN itself, so inotify sees them come and go.
# Host ports: the sandbox's block, P0-P3 (pl_port).
set -euo pipefail
SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SOURCE_DIR/tests/integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib-podman.sh
. "$SOURCE_DIR/tests/integration/lib-podman.sh"

T=_http._tcp
pl_init engines_all
P0=$(pl_port 0) P1=$(pl_port 1) P2=$(pl_port 2) P3=$(pl_port 3)
[ -x "${PORTLIGHT_BIN:-}" ] || pl_die "PORTLIGHT_BIN=${PORTLIGHT_BIN:-} is not an executable"

# The machine's own paths, to compare at the end.
machine_paths() {
	local p
	for p in /run/docker.sock /var/run/docker.sock /run/podman \
		/run/podman/podman.sock /run/user; do
		stat -c '%n %F %i' "$p" 2>/dev/null || echo "$p absent"
	done
}
MACHINE_BEFORE=$(machine_paths)

RUN=$PL_DIR/run
mkdir -p "$RUN/podman" "$RUN/user" "$PL_DIR/home"
chmod 755 "$PL_DIR" "$RUN" "$RUN/podman" "$RUN/user"
# Unique per build folder, as the sandbox: the user is plpea<tag>.
PLP_RUN=$RUN
plp_init "ea${PL_TAG:0:6}"
trap 'rc=$?; set +e; plp_cleanup; (exit $rc); pl_on_exit' EXIT

pl_sandbox
ln -s "$PL_DOCKER_SOCK" "$RUN/docker.sock"
PLP_ROOTFUL_SOCK=$RUN/podman/podman.sock
plp_rootful_start
plp_user_create
# Its runtime folder is under $RUN: it must not appear on the machine.
[ "$PLP_XDG" = "$RUN/user/$PLP_UID" ] || pl_die "PLP_XDG is $PLP_XDG"
USER_SOCK=/run/user/$PLP_UID/podman/podman.sock # as portlight sees it

# IN_RUN CMD...: CMD in netns A, on the private bus, in a mount namespace
# of its own where /run is $RUN; no engine variable of ours leaks in.
# Every step execs, so a CMD started with & has $! as its own pid.
# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
IN_RUN=(ip netns exec "$PL_NS_A" unshare -m --propagation private
	sh -c 'mount --bind "$0" /run && exec "$@"' "$RUN"
	env -u DOCKER_HOST -u DOCKER_CONTEXT -u DOCKER_CONFIG
	-u CONTAINER_HOST -u XDG_RUNTIME_DIR HOME="$PL_DIR/home"
	DBUS_SYSTEM_BUS_ADDRESS="$PL_BUS_ADDRESS")
# AS_USER CMD...: the same, as the test user with its runtime folder.
AS_USER=("${IN_RUN[@]}" setpriv --reuid="$PLP_UID" --regid="$PLP_GID"
	--init-groups env HOME="$PLP_HOME" USER="$PLP_USER" LOGNAME="$PLP_USER"
	XDG_RUNTIME_DIR="/run/user/$PLP_UID")

# start [as_user] ARGS...: portlight run in the background, as
# pl_portlight_start does; pl_portlight_stop and _log_has work on it.
start() {
	local how=IN_RUN
	if [ "${1:-}" = as_user ]; then
		how=AS_USER
		shift
	fi
	local -n pre=$how
	PL_PORTLIGHT_RUNS=$((${PL_PORTLIGHT_RUNS:-0} + 1))
	PL_PORTLIGHT_LOG=$PL_DIR/portlight.$PL_PORTLIGHT_RUNS.log
	PL_PORTLIGHT_STATUS=
	pl_log "starting portlight $* ($how, log $PL_PORTLIGHT_LOG)"
	"${pre[@]}" "$BIN" "$@" --log-level debug </dev/null \
		>"$PL_PORTLIGHT_LOG" 2>&1 &
	PL_PORTLIGHT_PID=$!
	pl_track "$PL_PORTLIGHT_PID" portlight
	sleep 0.2
	pl_alive "$PL_PORTLIGHT_PID" || {
		cat "$PL_PORTLIGHT_LOG" >&2
		pl_die "portlight exited at once"
	}
}

# A copy the test user may run whatever the permissions of the build tree.
BIN=$PL_DIR/portlight
install -m 755 "$PORTLIGHT_BIN" "$BIN"

# ------------------------------------------------------------- containers

pl_docker_httpd dock -p "$P0:80" -l portlight.enable=true \
	-l portlight.name=Dock
plp_import "$PLP_ROOTFUL_SOCK"
plp_podman "$PLP_ROOTFUL_SOCK" pod create --name plpod -p "$P1:80" \
	--infra-image "$PLP_IMAGE" --infra-command /pause >/dev/null
plp_podman "$PLP_ROOTFUL_SOCK" run -d --pod plpod --name m1 \
	-l portlight.enable=true "$PLP_IMAGE" /bin/busybox httpd -f -p 80 >/dev/null
plp_podman "$PLP_ROOTFUL_SOCK" run -d --pod plpod --name m2 \
	-l portlight.enable=true "$PLP_IMAGE" /bin/busybox sleep 100000 >/dev/null
plp_run "$PLP_ROOTFUL_SOCK" rf "$P2" -l portlight.enable=true \
	-l portlight.name=Rootful >/dev/null
# The user's container is made without its service: that starts later.
plp_as_user podman import "$PLP_DIR/img.tar" "$PLP_IMAGE" >/dev/null ||
	pl_die "rootless podman import failed"
plp_as_user podman run -d --name ul -p "$P3:80" -l portlight.enable=true \
	-l portlight.name=Rootless "$PLP_IMAGE" /bin/busybox httpd -f -p 80 \
	>/dev/null || pl_die "rootless podman run failed"

# ------------------------------------------- one portlight, no -H, as root

start
pl_check "Docker at /var/run/docker.sock: Dock announced on port $P0" \
	pl_mdns wait Dock "$T" --port "$P0" --timeout 20
pl_check "rootful Podman at /run/podman/podman.sock: Rootful announced on port $P2" \
	pl_mdns wait Rootful "$T" --port "$P2" --timeout 20
pl_check "a pod with two labelled members: announced under the pod's name (plpod) on port $P1" \
	pl_mdns wait plpod "$T" --port "$P1" --timeout 20
pl_check "the user's rootless socket is not there yet: Rootless not announced" \
	pl_mdns absent Rootless "$T" --for 1

# The user's service after portlight is up: its container appears.
plp_rootless_start
pl_check "rootless Podman started later at $USER_SOCK: Rootless announced on port $P3" \
	pl_mdns wait Rootless "$T" --port "$P3" --timeout 20
pl_check "log: the user's socket found as the rootless Podman of uid $PLP_UID" \
	pl_portlight_log_has "watching the engine at $USER_SOCK \(.*$PLP_UID"

# Exactly one entry per service: the pod once, nothing renamed " #2".
# shellcheck disable=SC2317 # called through pl_check
browse_is() {
	local want=$1 got
	got=$(pl_mdns_names "$T" 2 | paste -sd' ') || return 1
	[ "$got" = "$want" ] || {
		pl_log "browse: [$got], want [$want]"
		return 1
	}
}
ALL='Dock Rootful Rootless plpod'
pl_check "zeroconf sees exactly Dock, Rootful, Rootless, plpod (the pod once, no \" #2\")" \
	browse_is "$ALL"

# list_ok [SOCKET]: list --json (as root, no -H) names each container's
# engine and socket, each container once; ul's socket may be SOCKET too
# (another path to the user's engine: whichever path lists first is used).
# shellcheck disable=SC2317
list_ok() {
	"${IN_RUN[@]}" timeout 30 "$BIN" list --json >"$PL_DIR/list.json" \
		2>"$PL_DIR/list.err" || return 1
	/usr/bin/python3 - "$PL_DIR/list.json" "$USER_SOCK" "${1:-}" <<-'EOF'
		import json, sys
		d = json.load(open(sys.argv[1]))
		c = {}
		for x in d["containers"]:
		    assert x["name"] not in c, "listed twice: " + x["name"]
		    c[x["name"]] = x
		want = {
		    "dock": ("docker", "/var/run/docker.sock", "Dock"),
		    "rf": ("podman", "/run/podman/podman.sock", "Rootful"),
		    "m1": ("podman", "/run/podman/podman.sock", "plpod"),
		    "m2": ("podman", "/run/podman/podman.sock", "plpod"),
		    "ul": ("podman", sys.argv[2], "Rootless"),
		}
		for name, (engine, sock, svc) in want.items():
		    x = c[name]
		    if name == "ul" and x["socket"] == sys.argv[3]:
		        sock = sys.argv[3]
		    got = (x["engine"], x["socket"], [s["name"] for s in x["services"]])
		    assert got == (engine, sock, [svc]), (name, got)
		assert c["m1"]["pod"] == "plpod" and c["dock"]["pod"] is None
	EOF
}
pl_check "list --json: dock is docker, rf/m1/m2 the rootful podman, ul the user's podman (by socket), pod members in pod plpod" \
	list_ok

# ----------------------------------------------------- two paths, one engine

# podman-docker style: the user's docker.sock is a symlink to its podman.sock.
ln -s podman/podman.sock "$PLP_XDG/docker.sock"
sleep 1.5
pl_check_not "a docker.sock symlink to the user's podman.sock: no second engine watched" \
	pl_portlight_log_has "watching the engine at /run/user/$PLP_UID/docker.sock"
pl_check "with the symlink: still exactly one of each service" browse_is "$ALL"
rm -f "$PLP_XDG/docker.sock"
# A hard link is another path to the same socket: told apart by /info's ID.
ln "$PLP_ROOTLESS_SOCK" "$PLP_XDG/docker.sock"
pl_check "a hard link to the user's podman.sock: recognised as the same engine (log)" \
	pl_wait_for 15 pl_portlight_log_has \
	"/run/user/$PLP_UID/docker.sock\) is the same engine as $USER_SOCK"
pl_check "with the hard link: still exactly one of each service" browse_is "$ALL"
pl_check "with the hard link: list --json lists every container once" \
	list_ok "/run/user/$PLP_UID/docker.sock"
rm -f "$PLP_XDG/docker.sock"

# ------------------------------------------------------------------ the pod

# watch_start SECONDS NAME / watch_kept NAME: zeroconf's changes
# meanwhile; NAME was seen and never removed.  watch_start returns once
# the watch has seen NAME (present already) added, or after 5 s.
watch_start() {
	pl_mdns_bg "$PL_DIR/watch.jsonl" "$PL_DIR/watch.err" watch "$T" \
		--timeout "$1"
	WATCH_PID=$PL_MDNS_PID
	pl_wait_for 5 grep -q "\"event\": \"added\", \"name\": \"$2\"" \
		"$PL_DIR/watch.jsonl" || true
}
# shellcheck disable=SC2317
watch_kept() {
	wait "$WATCH_PID" || return 1
	grep -q "\"event\": \"added\", \"name\": \"$1\"" "$PL_DIR/watch.jsonl" &&
		! grep -q "\"event\": \"removed\", \"name\": \"$1\"" \
			"$PL_DIR/watch.jsonl"
}

watch_start 4 plpod
plp_podman "$PLP_ROOTFUL_SOCK" rm -f -t 0 m1 >/dev/null
pl_check "log: member m1 left the pod, still announced for the others" \
	pl_wait_for 10 pl_portlight_log_has "pod .* \(plpod\): container .* \(m1\) left it"
pl_check "a pod member removed: the pod's service is not withdrawn (zeroconf)" \
	watch_kept plpod
pl_check "after the member's removal plpod still resolves on port $P1" \
	pl_mdns wait plpod "$T" --port "$P1" --timeout 5

# ----------------------------------------- the user's service lost briefly

watch_start 9 Rootless
plp_rootless_stop
pl_check "service stopped: log says its records are kept for the 30 s grace period" \
	pl_wait_for 10 pl_portlight_log_has \
	"$USER_SOCK\): keeping its records for 30 s while reconnecting"
sleep 2
plp_rootless_start
pl_check "stopped for less than the grace period: Rootless never withdrawn (zeroconf)" \
	watch_kept Rootless
pl_check "back: Rootless still announced on port $P3" \
	pl_mdns wait Rootless "$T" --port "$P3" --timeout 10

pl_portlight_stop TERM 15 || pl_fail "portlight did not exit on SIGTERM"
pl_check "first portlight (no flags) exits 0" pl_portlight_status_is 0

# --------------------------------------- lost for longer than the grace

start --engine-grace 3
pl_check "--engine-grace 3: Rootless announced" \
	pl_mdns wait Rootless "$T" --port "$P3" --timeout 20
pl_check "--engine-grace 3: Dock announced" \
	pl_mdns wait Dock "$T" --port "$P0" --timeout 20
t0=$(pl_now_ms)
plp_rootless_stop
if pl_mdns gone Rootless "$T" --timeout 25 >"$PL_DIR/gone.json"; then
	ms=$(($(pl_json "$PL_DIR/gone.json" 'd["gone_at_ms"]') - t0))
	pl_check "the user's service away longer than 3 s: Rootless withdrawn after the grace period (${ms} ms)" \
		test "$ms" -ge 2500
else
	pl_fail "Rootless still announced 25 s after its service stopped (grace 3 s)"
fi
pl_check "log: still unreachable after the 3 s grace period, withdrawing" \
	pl_portlight_log_has "$USER_SOCK\): still unreachable after the 3 s grace period, withdrawing its containers"
pl_check "the other engines' services stay (Dock)" \
	pl_mdns wait Dock "$T" --port "$P0" --timeout 5
plp_rootless_start
pl_check "the user's service back: Rootless announced again" \
	pl_mdns wait Rootless "$T" --port "$P3" --timeout 20
pl_portlight_stop TERM 15 || pl_fail "portlight did not exit on SIGTERM"
pl_check "second portlight exits 0" pl_portlight_status_is 0

# ------------------------------------------- portlight as the rootless user

# shellcheck disable=SC2317
user_list_ok() {
	"${AS_USER[@]}" timeout 30 "$BIN" list --json >"$PL_DIR/ulist.json" \
		2>"$PL_DIR/ulist.err" || return 1
	[ "$(pl_json "$PL_DIR/ulist.json" \
		'[(c["name"], c["engine"], c["socket"]) for c in d["containers"]]')" = \
		"[[\"ul\", \"podman\", \"$USER_SOCK\"]]" ]
}
pl_check "list --json as the user: exactly its own container (ul, podman, its socket)" \
	user_list_ok
# Its own daemon on the same bus: avahi's policy lets any user publish.
start as_user
pl_check "portlight as the user: Rootless announced" \
	pl_mdns wait Rootless "$T" --port "$P3" --timeout 20
pl_check "portlight as the user: only its container is announced" \
	browse_is Rootless
pl_check "portlight as the user: root's Docker socket is refused, and the log says why" \
	pl_portlight_log_has "/var/run/docker.sock\): CONNECTING -> BACKOFF: ping: Permission denied"
pl_portlight_stop TERM 15 || pl_fail "the user's portlight did not exit on SIGTERM"
pl_check "the user's portlight exits 0" pl_portlight_status_is 0
pl_check_not "no sanitizer report in any portlight log" \
	pl_sanitizer_report "$PL_DIR"/portlight.*.log

# --------------------------------------------------- the machine untouched

pl_check "the machine's /run/docker.sock, /run/podman, /run/user unchanged" \
	test "$(machine_paths)" = "$MACHINE_BEFORE"
pl_check_not "no /run/user/$PLP_UID on the machine" test -e "/run/user/$PLP_UID"

pl_finish
