# shellcheck shell=bash disable=SC2119,SC2120
#
# Sandbox for portlight's integration tests: real daemons, never the
# machine's own.  Sourced by every tests/integration/test_*.sh and by
# packaging/demo.sh.
#
#   netns A ──veth── netns B
#   A: avahi-daemon (own mount namespace, tmpfs on /run/avahi-daemon) and
#      portlight; B: the independent mDNS client (mdns_browse.py).
#   A private dbus-daemon (system-bus policy, its own socket) that only
#   avahi-daemon, avahi-browse and portlight are pointed at, and a private
#   dockerd (own socket, data, exec root, bridge, containerd namespace).
#   Podman services: lib-podman.sh.
#
# Every name (netns, veth, bridge, folder) is derived from the sandbox name
# and the build folder of PORTLIGHT_BIN, so tests, and the same tests of
# other build folders, can run side by side.  Each sandbox claims a block
# of ten host ports in 18200-18299 (PL_PORT_BASE .. +9; pl_port K).  A
# sandbox first removes what a crashed earlier run of the same name left
# behind, and removes everything again at exit.  Processes are ended by the pid we
# recorded when we started them, never by name.
#
# Usage:
#   . "$SOURCE_DIR/tests/integration/lib.sh"
#   pl_init core                # names, checks, leftovers, EXIT trap
#   pl_sandbox                  # netns + dbus + avahi + dockerd + image
#   pl_portlight_start [ARGS]   # portlight -H unix://$PL_DOCKER_SOCK in A
#   pl_mdns wait Shop _http._tcp --port "$(pl_port 0)" --txt path=/
#   pl_check "what" COMMAND...  # PASS/FAIL line, counts failures
#   pl_finish                   # summary; exit status 1 if anything failed
#
# Variables the caller may set before pl_init: PORTLIGHT_BIN (the binary),
# PL_ROOT (parent of the sandbox folder, default /tmp), PL_KEEP=1 (keep the
# folder and logs at exit).

# ---------------------------------------------------------------- messages

pl_log() {
	printf '%s [%s] %s\n' "$(date +%T.%3N)" "${PL_NAME:-sandbox}" "$*" >&2
}

pl_die() {
	printf '%s [%s] FATAL: %s\n' "$(date +%T.%3N)" "${PL_NAME:-sandbox}" \
		"$*" >&2
	exit 1
}

PL_FAILS=0
PL_PASSES=0

pl_pass() {
	PL_PASSES=$((PL_PASSES + 1))
	printf 'PASS: %s\n' "$*"
}

pl_fail() {
	PL_FAILS=$((PL_FAILS + 1))
	printf 'FAIL: %s\n' "$*"
}

# pl_check DESCRIPTION COMMAND...: run COMMAND, print PASS or FAIL.
pl_check() {
	local what=$1
	shift
	if "$@"; then
		pl_pass "$what"
	else
		pl_fail "$what"
	fi
}

# pl_check_not DESCRIPTION COMMAND...: PASS when COMMAND fails.
pl_check_not() {
	local what=$1
	shift
	if "$@"; then
		pl_fail "$what"
	else
		pl_pass "$what"
	fi
}

# pl_finish: print the summary (and portlight's log on failure) and exit.
pl_finish() {
	local t=$((SECONDS - PL_T0))
	if [ "$PL_FAILS" -ne 0 ]; then
		pl_dump_logs
		printf 'RESULT: %s: %d passed, %d FAILED (%d s)\n' "$PL_NAME" \
			"$PL_PASSES" "$PL_FAILS" "$t"
		exit 1
	fi
	if [ "$PL_PASSES" -eq 0 ]; then
		printf 'RESULT: %s: no checks ran\n' "$PL_NAME"
		exit 1
	fi
	printf 'RESULT: %s: all %d passed (%d s)\n' "$PL_NAME" "$PL_PASSES" "$t"
	exit 0
}

# pl_dump_logs: the tail of every daemon log of this sandbox, for failures.
pl_dump_logs() {
	local f
	for f in "$PL_DIR"/portlight*.log "$PL_DIR"/avahi.log; do
		[ -s "$f" ] || continue
		printf -- '----- %s (last 60 lines) -----\n' "${f##*/}"
		tail -n 60 "$f"
	done
	printf -- '----- end of logs -----\n'
}

# ------------------------------------------------------------------ checks

pl_require_root() {
	[ "$(id -u)" -eq 0 ] ||
		pl_die "integration tests need root (netns, dockerd, avahi-daemon); run as root: sudo $0"
}

# pl_require_tools TOOL...: fail loudly naming every missing tool.
pl_require_tools() {
	local t missing=()
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	[ "${#missing[@]}" -eq 0 ] ||
		pl_die "missing tools: ${missing[*]} (bash tests/run.sh installs them with apt-get)"
}

pl_require_python_zeroconf() {
	[ -x /usr/bin/python3 ] || pl_die "missing /usr/bin/python3 (apt-get install python3)"
	/usr/bin/python3 -c 'import zeroconf' 2>/dev/null ||
		pl_die "missing python3-zeroconf for /usr/bin/python3 (apt-get install python3-zeroconf)"
}

# pl_wait_for SECONDS COMMAND...: poll COMMAND every 0.1 s until it
# succeeds; fails when it still fails SECONDS (may be a fraction) after
# the first try.  The clock is $EPOCHREALTIME in µs (its decimal point
# follows the locale: keep its digits): bash's $SECONDS counts whole
# seconds, and would make "within N s" anything from N-1 to N s.
pl_wait_for() {
	local deadline
	deadline=$((${EPOCHREALTIME//[!0-9]/} + $(pl_secs_to_ms "$1") * 1000))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "${EPOCHREALTIME//[!0-9]/}" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# pl_secs_to_ms SECONDS: "5" or "1.5" in ms.
pl_secs_to_ms() {
	local s=$1 f=000
	[[ "$s" =~ ^[0-9]+(\.[0-9]*)?$ ]] ||
		pl_die "pl_secs_to_ms: '$s' is not a number of seconds"
	[[ "$s" != *.* ]] || { f=${s#*.}000; s=${s%%.*}; }
	printf '%s\n' "$((10#${s:-0} * 1000 + 10#${f:0:3}))"
}

# pl_not COMMAND...: succeeds when COMMAND fails (for pl_wait_for).
pl_not() {
	! "$@"
}

# pl_now_ms: milliseconds since the epoch ($EPOCHREALTIME, as above).
pl_now_ms() {
	printf '%s\n' "$((${EPOCHREALTIME//[!0-9]/} / 1000))"
}

# ------------------------------------------------------------ process list
#
# Each process we start is written to $PL_DIR/pids as "PID NAME START"
# where START is field 22 of /proc/PID/stat (its start time), so that a
# later clean-up ends exactly that process and never a recycled pid.

pl_proc_start_time() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	# Field 2 (comm) may hold spaces; cut after its closing parenthesis.
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	printf '%s\n' "${20}"
}

# pl_parallel N FUNCTION: runs FUNCTION W for W = 0 .. N-1 in parallel;
# fails if any of them did.
pl_parallel() {
	local n=$1 fn=$2 w pids=() rc=0
	for ((w = 0; w < n; w++)); do
		"$fn" "$w" &
		pids+=($!)
	done
	for w in "${pids[@]}"; do
		wait "$w" || rc=1
	done
	return "$rc"
}

# pl_api METHOD PATH [JSON]: one call of the sandbox dockerd's API
# (v1.41), with JSON as the request body; fails on an HTTP error.
pl_api() {
	local args=(-sf -o /dev/null -X "$1" --unix-socket "$PL_DOCKER_SOCK")
	[ $# -lt 3 ] || args+=(-H 'Content-Type: application/json' -d "$3")
	curl "${args[@]}" "http://d/v1.41$2"
}

# pl_cpu_ms PID: the user + system CPU time PID has used so far, in ms.
pl_cpu_ms() {
	local stat
	stat=$(cat "/proc/$1/stat") || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	printf '%s\n' "$(((${12} + ${13}) * 1000 / $(getconf CLK_TCK)))"
}

# pl_rss_kb PID: PID's resident set size (VmRSS), in kB.
pl_rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

pl_track() {
	local pid=$1 name=$2 st
	st=$(pl_proc_start_time "$pid") || st=0
	printf '%s %s %s\n' "$pid" "$name" "$st" >>"$PL_DIR/pids"
}

# pl_alive PID: the process exists and is not a zombie.
pl_alive() {
	local s
	[ -r "/proc/$1/stat" ] || return 1
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}

# pl_kill_pid PID [SECONDS]: TERM, wait, then KILL.  Only for our own pids.
pl_kill_pid() {
	local pid=$1 grace=${2:-10} i
	pl_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < grace * 10; i++)); do
		pl_alive "$pid" || break
		sleep 0.1
	done
	if pl_alive "$pid"; then
		pl_log "pid $pid did not end within ${grace} s of SIGTERM: SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			pl_alive "$pid" || break
			sleep 0.1
		done
	fi
	# Reap it if it is our child; ignore "not a child".
	wait "$pid" 2>/dev/null || true
}

# pl_kill_tracked [NAME]: end every recorded process (or those named NAME),
# newest first, if it is still the process we started.
pl_kill_tracked() {
	local only=${1:-} pid name st cur lines=() i
	[ -f "$PL_DIR/pids" ] || return 0
	mapfile -t lines <"$PL_DIR/pids"
	for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
		read -r pid name st <<<"${lines[i]}"
		[ -z "$only" ] || [ "$name" = "$only" ] || continue
		cur=$(pl_proc_start_time "$pid") || continue
		[ "$cur" = "$st" ] || continue
		pl_log "stopping $name (pid $pid)"
		pl_kill_pid "$pid" 15
	done
}

# ------------------------------------------------------------------- names

# pl_init NAME: set every name of this sandbox, check we can run, remove
# leftovers of an earlier run of the same NAME, and clean up at exit.
pl_init() {
	local name=$1 hash bindir=
	[[ "$name" =~ ^[a-z0-9_-]{1,24}$ ]] ||
		pl_die "sandbox name '$name' must be 1-24 of [a-z0-9_-]"
	PL_NAME=$name
	PL_T0=$SECONDS
	if [ -n "${PORTLIGHT_BIN:-}" ]; then
		bindir=$(cd "$(dirname "$PORTLIGHT_BIN")" 2>/dev/null && pwd -P) ||
			bindir=$PORTLIGHT_BIN
	fi
	hash=$(printf '%s\n%s\n' "$name" "$bindir" | md5sum)
	PL_TAG=${hash:0:6}
	PL_DIR=${PL_ROOT:-/tmp}/pl-$PL_TAG
	PL_NS_A=pl-$name-${PL_TAG:0:4}-a
	PL_NS_B=pl-$name-${PL_TAG:0:4}-b
	PL_VETH_A=pl${PL_TAG}a # IFNAMSIZ: at most 15 characters
	PL_VETH_B=pl${PL_TAG}b
	# Netns C (pl_netns_c_up), only for tests that need another host.
	PL_NS_C=pl-$name-${PL_TAG:0:4}-c
	PL_VETH_C=pl${PL_TAG}c # in C
	PL_VETH_D=pl${PL_TAG}d # its peer, in B's bridge
	PL_BRIDGE_B=pl${PL_TAG}x
	PL_BRIDGE=pl${PL_TAG}br
	# The veth's /24 exists only inside A and B, so it cannot clash
	# with anything; the bridge's /24 lives in the root namespace and is
	# picked free in pl_dockerd_start.
	PL_NET=10.23$((16#${hash:6:2} % 10)).$((16#${hash:8:2}))
	PL_IP_A=$PL_NET.1
	PL_IP_B=$PL_NET.2
	PL_HOSTNAME=pl-$name-host
	PL_HOSTNAME=${PL_HOSTNAME//_/-}
	PL_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	PL_MDNS_TOOL=$PL_LIB_DIR/mdns_browse.py
	PL_PORTLIGHT_PID=
	PL_PORTLIGHT_STATUS=
	PL_PORT_BASE=
	PL_DOCKER_NET=
	export PL_NAME PL_DIR

	pl_require_root
	pl_require_tools ip ss unshare mount umount dbus-daemon dbus-send \
		avahi-daemon avahi-browse md5sum setsid
	pl_require_python_zeroconf

	pl_cleanup leftovers
	mkdir -p "$PL_DIR"
	: >"$PL_DIR/pids"
	trap pl_on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	pl_claim_ports
	pl_log "sandbox $PL_DIR, netns $PL_NS_A/$PL_NS_B, veth $PL_VETH_A/$PL_VETH_B, $PL_NET.0/24, host ports $PL_PORT_BASE-$((PL_PORT_BASE + 9))"
}

# pl_claim_ports: claim a block of ten host ports in 18200-18299 that no
# other sandbox holds (a folder in /tmp/pl-ports naming our pid) and
# nothing listens on.  Sets PL_PORT_BASE.
pl_claim_ports() {
	local d=/tmp/pl-ports i base owner
	mkdir -p "$d"
	for ((i = 0; i < 10; i++)); do
		base=$((18200 + ((16#${PL_TAG:0:2} + i) % 10) * 10))
		if [ -d "$d/$base" ]; then
			owner=$(cat "$d/$base/pid" 2>/dev/null) || owner=
			if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then
				continue
			fi
			rm -rf "${d:?}/$base" # its owner is gone
		fi
		mkdir "$d/$base" 2>/dev/null || continue
		printf '%s\n' "$$" >"$d/$base/pid"
		if ss -Hltn "( sport >= :$base and sport <= :$((base + 9)) )" |
			grep . >/dev/null; then
			rm -rf "${d:?}/$base"
			continue
		fi
		PL_PORT_BASE=$base
		return 0
	done
	pl_die "no free block of ten host ports in 18200-18299 (see /tmp/pl-ports)"
}

# pl_port K: the K-th (0-9) host port of this sandbox.
pl_port() {
	printf '%s\n' "$((PL_PORT_BASE + $1))"
}

pl_on_exit() {
	local rc=$?
	set +e
	pl_cleanup
	exit "$rc"
}

# pl_cleanup [leftovers]: end our processes, free kernel objects, remove
# files.  Safe to run more than once and on a half-made sandbox; with
# "leftovers" (at pl_init) it names what an earlier run left behind.
pl_cleanup() {
	local leftovers=${1:-} pid m mounts=()
	[ -n "${PL_DIR:-}" ] || return 0
	if [ -d "$PL_DIR" ]; then
		# Containers first, while dockerd still runs: a PID-1 httpd
		# ignores SIGTERM and would hold dockerd's shutdown.
		if [ -S "$PL_DIR/docker.sock" ] && [ -n "$(pl_docker_bin)" ]; then
			# A stale socket (dockerd long gone) must not end
			# pl_init under set -e.
			pl_docker ps -aq 2>/dev/null | xargs -r \
				"$(pl_docker_bin)" -H "unix://$PL_DIR/docker.sock" rm -f \
				>/dev/null 2>&1 || true
		fi
		pl_kill_tracked
		pl_kill_shims
	fi
	# Anything still inside our own namespaces is ours (the names are
	# unique to this sandbox): end it by pid.
	for m in "$PL_NS_A" "$PL_NS_B" "$PL_NS_C"; do
		[ -e "/run/netns/$m" ] || continue
		for pid in $(ip netns pids "$m" 2>/dev/null); do
			[ -z "$leftovers" ] || pl_log "leftover pid $pid in netns $m: killing it"
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$m" 2>/dev/null || true
	done
	# The veths are made inside the namespaces and go with them; only
	# the docker bridge lives in the root namespace.
	if ip link show "$PL_BRIDGE" >/dev/null 2>&1; then
		ip link del "$PL_BRIDGE" 2>/dev/null
	fi
	if [ -d "$PL_DIR" ]; then
		# Mounts dockerd left (overlay, shm), deepest first.
		mapfile -t mounts < <(awk -v d="$PL_DIR/" \
			'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
		for m in "${mounts[@]}"; do
			umount -l "$m" 2>/dev/null || true
		done
		if [ -n "${PL_KEEP:-}" ] && [ -z "$leftovers" ]; then
			pl_log "PL_KEEP set: keeping $PL_DIR"
		else
			rm -rf --one-file-system "$PL_DIR" 2>/dev/null || rm -rf "$PL_DIR"
		fi
	fi
	if [ -n "${PL_PORT_BASE:-}" ] &&
		[ "$(cat "/tmp/pl-ports/$PL_PORT_BASE/pid" 2>/dev/null)" = "$$" ]; then
		rm -rf "/tmp/pl-ports/$PL_PORT_BASE"
	fi
	return 0
}

# ----------------------------------------------------------------- network

# pl_in_a COMMAND...: run COMMAND in netns A (with the private bus).
pl_in_a() {
	ip netns exec "$PL_NS_A" env DBUS_SYSTEM_BUS_ADDRESS="$PL_BUS_ADDRESS" "$@"
}

# pl_in_b COMMAND...: run COMMAND in netns B.
pl_in_b() {
	ip netns exec "$PL_NS_B" "$@"
}

# pl_netns_up: netns A and B joined by a veth, multicast on.
pl_netns_up() {
	ip netns add "$PL_NS_A"
	ip netns add "$PL_NS_B"
	ip link add "$PL_VETH_A" netns "$PL_NS_A" type veth \
		peer name "$PL_VETH_B" netns "$PL_NS_B"
	ip -n "$PL_NS_A" link set lo up
	ip -n "$PL_NS_B" link set lo up
	ip -n "$PL_NS_A" addr add "$PL_IP_A/24" dev "$PL_VETH_A"
	ip -n "$PL_NS_B" addr add "$PL_IP_B/24" dev "$PL_VETH_B"
	ip -n "$PL_NS_A" link set "$PL_VETH_A" multicast on up
	ip -n "$PL_NS_B" link set "$PL_VETH_B" multicast on up
	# Multicast needs a route when a socket does not name its interface.
	ip -n "$PL_NS_A" route add 224.0.0.0/4 dev "$PL_VETH_A"
	ip -n "$PL_NS_B" route add 224.0.0.0/4 dev "$PL_VETH_B"
	pl_log "netns $PL_NS_A ($PL_IP_A) <-> $PL_NS_B ($PL_IP_B)"
}

# pl_netns_c_up: a third namespace C on the same link as A and B, for a
# second host (another avahi-daemon, pl_avahi_c_start).  B's end of A's
# veth and C's veth join a bridge in B; B's address moves to the bridge.
# After pl_netns_up.
pl_netns_c_up() {
	PL_IP_C=$PL_NET.3
	ip -n "$PL_NS_B" link add "$PL_BRIDGE_B" type bridge
	ip -n "$PL_NS_B" addr del "$PL_IP_B/24" dev "$PL_VETH_B"
	ip -n "$PL_NS_B" link set "$PL_VETH_B" master "$PL_BRIDGE_B"
	ip -n "$PL_NS_B" addr add "$PL_IP_B/24" dev "$PL_BRIDGE_B"
	ip -n "$PL_NS_B" link set "$PL_BRIDGE_B" multicast on up
	ip -n "$PL_NS_B" route replace 224.0.0.0/4 dev "$PL_BRIDGE_B"
	ip netns add "$PL_NS_C"
	ip link add "$PL_VETH_C" netns "$PL_NS_C" type veth \
		peer name "$PL_VETH_D" netns "$PL_NS_B"
	ip -n "$PL_NS_C" link set lo up
	ip -n "$PL_NS_C" addr add "$PL_IP_C/24" dev "$PL_VETH_C"
	ip -n "$PL_NS_C" link set "$PL_VETH_C" multicast on up
	ip -n "$PL_NS_C" route add 224.0.0.0/4 dev "$PL_VETH_C"
	ip -n "$PL_NS_B" link set "$PL_VETH_D" master "$PL_BRIDGE_B"
	ip -n "$PL_NS_B" link set "$PL_VETH_D" up
	pl_wait_for 5 eval "ip -n $PL_NS_C link show $PL_VETH_C | grep LOWER_UP >/dev/null" ||
		pl_die "netns C's veth $PL_VETH_C did not come up"
	pl_log "netns $PL_NS_C ($PL_IP_C) on the same link (bridge $PL_BRIDGE_B in B)"
}

# ------------------------------------------------------------------- D-Bus

# pl_dbus_start: a private dbus-daemon with the system bus's policy (and
# its system.d holes, so avahi-daemon may own org.freedesktop.Avahi), but
# no service activation (nothing can be launched behind our back), no
# user switch, no pid file, no syslog.  Exports DBUS_SYSTEM_BUS_ADDRESS.
pl_dbus_start() {
	local conf=$PL_DIR/dbus.conf out
	PL_BUS_ADDRESS=unix:path=$PL_DIR/bus
	sed -e '/<user>/d' -e '/<fork\/>/d' -e '/<pidfile>/d' \
		-e '/<syslog\/>/d' -e '/<standard_system_servicedirs\/>/d' \
		-e '/<servicedir>/d' -e '/<servicehelper>/d' \
		-e "s|<listen>.*</listen>|<listen>$PL_BUS_ADDRESS</listen>|" \
		-e 's|<includedir>system.d</includedir>|<includedir>/usr/share/dbus-1/system.d</includedir>|' \
		/usr/share/dbus-1/system.conf >"$conf"
	grep -q "<listen>$PL_BUS_ADDRESS</listen>" "$conf" ||
		pl_die "could not make a private bus config from /usr/share/dbus-1/system.conf"
	out=$(dbus-daemon --config-file="$conf" --nopidfile --fork \
		--print-pid --print-address 2>"$PL_DIR/dbus.log") ||
		pl_die "dbus-daemon failed: $(cat "$PL_DIR/dbus.log")"
	PL_DBUS_PID=$(printf '%s\n' "$out" | sed -n 2p)
	[[ "$PL_DBUS_PID" =~ ^[0-9]+$ ]] || pl_die "dbus-daemon printed no pid: $out"
	pl_track "$PL_DBUS_PID" dbus-daemon
	export DBUS_SYSTEM_BUS_ADDRESS=$PL_BUS_ADDRESS
	pl_wait_for 5 pl_bus_call ListNames ||
		pl_die "private dbus-daemon at $PL_BUS_ADDRESS does not answer"
	pl_log "dbus-daemon pid $PL_DBUS_PID at $PL_BUS_ADDRESS"
}

# pl_bus_call METHOD [ARGS...]: call org.freedesktop.DBus on our bus.
pl_bus_call() {
	dbus-send --bus="$PL_BUS_ADDRESS" --print-reply --type=method_call \
		--dest=org.freedesktop.DBus /org/freedesktop/DBus \
		"org.freedesktop.DBus.$1" "${@:2}"
}

pl_bus_has_avahi() {
	pl_bus_call NameHasOwner string:org.freedesktop.Avahi 2>/dev/null |
		grep 'boolean true' >/dev/null
}

# pl_dbus_stop: end the private bus (for tests of D-Bus going away).
pl_dbus_stop() {
	pl_kill_pid "$PL_DBUS_PID" 5
}

# ------------------------------------------------------------------- Avahi

# pl_avahi_conf [EXTRA-LINES]: the config avahi-daemon runs with; extra
# lines are appended to [server].
pl_avahi_conf() {
	cat <<EOF
[server]
host-name=$PL_HOSTNAME
domain-name=local
use-ipv4=yes
use-ipv6=yes
allow-interfaces=$PL_VETH_A
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
${1:-}
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
[reflector]
enable-reflector=no
[rlimits]
EOF
}

# pl_avahi_start [EXTRA-CONF-LINES]: avahi-daemon in netns A, in its own
# mount namespace: a tmpfs on /run/avahi-daemon (its pid file and socket
# live there; the machine's own avahi, if any, keeps its own) and an empty
# /etc/avahi/services (no static services of this machine).  Waits until
# the daemon owns org.freedesktop.Avahi and says it is RUNNING.
pl_avahi_start() {
	local conf=$PL_DIR/avahi.conf
	[ -n "${PL_BUS_ADDRESS:-}" ] || pl_die "pl_avahi_start: start the bus first (pl_dbus_start)"
	pl_avahi_conf "${1:-}" >"$conf"
	mkdir -p /run/avahi-daemon "$PL_DIR/avahi-services"
	: >"$PL_DIR/avahi.log"
	# ip netns exec, unshare and sh all exec: $! is avahi-daemon's pid.
	# shellcheck disable=SC2016 # $1..$3 are the inner shell's
	setsid ip netns exec "$PL_NS_A" unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=0755 tmpfs /run/avahi-daemon &&
		mount --bind "$1" /etc/avahi/services &&
		exec env DBUS_SYSTEM_BUS_ADDRESS="$2" avahi-daemon \
			--no-drop-root --no-chroot --no-rlimits -f "$3"' \
		sh "$PL_DIR/avahi-services" "$PL_BUS_ADDRESS" "$conf" \
		</dev/null >>"$PL_DIR/avahi.log" 2>&1 &
	PL_AVAHI_PID=$!
	pl_track "$PL_AVAHI_PID" avahi-daemon
	if ! pl_wait_for 20 pl_avahi_running; then
		cat "$PL_DIR/avahi.log" >&2
		pl_die "avahi-daemon (pid $PL_AVAHI_PID) did not reach RUNNING in 20 s"
	fi
	pl_log "avahi-daemon pid $PL_AVAHI_PID RUNNING as $PL_HOSTNAME.local on $PL_VETH_A"
}

# pl_avahi_running: the daemon owns its bus name and its server is RUNNING
# (GetState = 2, AVAHI_SERVER_RUNNING).
pl_avahi_running() {
	pl_alive "$PL_AVAHI_PID" || return 1
	pl_bus_has_avahi || return 1
	dbus-send --bus="$PL_BUS_ADDRESS" --print-reply \
		--dest=org.freedesktop.Avahi / org.freedesktop.Avahi.Server.GetState \
		2>/dev/null | grep 'int32 2' >/dev/null
}

pl_avahi_stop() {
	pl_kill_pid "$PL_AVAHI_PID" 10
}

# pl_avahi_service_file DIR NAME TYPE PORT: a static service for an
# avahi-daemon's services folder.
pl_avahi_service_file() {
	cat >"$1/${2//[^A-Za-z0-9_-]/_}$3.service" <<EOF
<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group>
  <name>$2</name>
  <service><type>$3</type><port>$4</port></service>
</service-group>
EOF
}

# pl_avahi_c_start SERVICES-DIR: a second avahi-daemon, in netns C (no
# D-Bus: the bus is A's), announcing the static services of SERVICES-DIR
# (pl_avahi_service_file) as host $PL_HOSTNAME-c.  After pl_netns_c_up.
# Does not wait: look for its services from B.
pl_avahi_c_start() {
	local d=$PL_DIR/avahi-c
	mkdir -p "$d"
	cat >"$d/avahi.conf" <<EOF
[server]
host-name=$PL_HOSTNAME-c
domain-name=local
use-ipv4=yes
use-ipv6=yes
allow-interfaces=$PL_VETH_C
enable-dbus=no
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
EOF
	# shellcheck disable=SC2016 # $1, $2 are the inner shell's
	setsid ip netns exec "$PL_NS_C" unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=0755 tmpfs /run/avahi-daemon &&
		mount --bind "$1" /etc/avahi/services &&
		exec avahi-daemon --no-drop-root --no-chroot --no-rlimits -f "$2"' \
		sh "$1" "$d/avahi.conf" \
		</dev/null >>"$PL_DIR/avahi-c.log" 2>&1 &
	PL_AVAHI_C_PID=$!
	pl_track "$PL_AVAHI_C_PID" avahi-daemon-c
	pl_log "avahi-daemon pid $PL_AVAHI_C_PID in $PL_NS_C, services of $1"
}

# pl_avahi_groups [MAX]: the entry groups avahi-daemon in A holds, one
# line "ClientN COUNT" per D-Bus client that has any.  Avahi's objects
# are /ClientN/EntryGroupM; "/" does not list them, but libdbus lists the
# children of /ClientN.  Client ids count up from 0, one per client that
# ever made an object (each avahi-browse is one): ids 0..MAX (default 64)
# are looked at.
pl_avahi_groups() {
	local n max=${1:-64} c
	for ((n = 0; n <= max; n++)); do
		c=$(dbus-send --bus="$PL_BUS_ADDRESS" --print-reply \
			--dest=org.freedesktop.Avahi "/Client$n" \
			org.freedesktop.DBus.Introspectable.Introspect 2>/dev/null |
			grep -c '<node name="EntryGroup[0-9]*"/>') || true
		[ "${c:-0}" -eq 0 ] || printf 'Client%d %d\n' "$n" "$c"
	done
}

# pl_avahi_browse TYPE: avahi-daemon's own view, resolved, parseable
# (avahi-browse -rpt), from inside A over the private bus.
pl_avahi_browse() {
	pl_in_a timeout 20 avahi-browse -rpt "$1"
}

# ------------------------------------------------------------------ Docker

pl_docker_bin() {
	# The CLI of the same package as dockerd, where there is one.
	if [ -x /usr/bin/docker ]; then
		printf '/usr/bin/docker\n'
	else
		command -v docker || true
	fi
}

# pl_docker ARGS...: docker CLI on our private dockerd only.
pl_docker() {
	env -u DOCKER_HOST -u DOCKER_CONTEXT DOCKER_CONFIG="$PL_DIR/docker-cli" \
		"$(pl_docker_bin)" -H "unix://$PL_DIR/docker.sock" "$@"
}

pl_docker_ping() {
	curl -sf --max-time 2 --unix-socket "$PL_DOCKER_SOCK" http://d/_ping | grep OK >/dev/null
}

# pl_pick_subnet: a 172.31.X.0/24 that no route of the root namespace uses.
pl_pick_subnet() {
	local x base=$((16#$PL_TAG % 200))
	for ((x = 0; x < 200; x++)); do
		local n=172.31.$(((base + x) % 200 + 20))
		if ! ip -4 route show to match "$n.1" | grep -v '^default' >/dev/null &&
			! ip -4 -o addr show | grep " $n\." >/dev/null; then
			printf '%s\n' "$n"
			return 0
		fi
	done
	return 1
}

# pl_dockerd_start: a private dockerd.  Own socket, data root, exec root,
# pid file, config file, containerd namespace, and its own bridge (so two
# dockerds never hand out the same address on docker0) without iptables
# rules (the userland proxy still publishes ports on the host).
pl_dockerd_start() {
	local net
	pl_require_tools dockerd curl
	[ -n "$(pl_docker_bin)" ] || pl_die "missing the docker CLI (apt-get install docker.io)"
	PL_DOCKER_SOCK=$PL_DIR/docker.sock
	# Started again (pl_dockerd_halt): the same bridge and data root.
	if [ -z "${PL_DOCKER_NET:-}" ]; then
		net=$(pl_pick_subnet) || pl_die "no free 172.31.X.0/24 for the docker bridge"
		ip link add "$PL_BRIDGE" type bridge
		ip addr add "$net.1/24" dev "$PL_BRIDGE"
		ip link set "$PL_BRIDGE" up
		PL_DOCKER_NET=$net
	fi
	net=$PL_DOCKER_NET
	mkdir -p "$PL_DIR/docker-data" "$PL_DIR/docker-exec" "$PL_DIR/docker-cli"
	printf '{}\n' >"$PL_DIR/docker-daemon.json"
	setsid dockerd \
		--host "unix://$PL_DOCKER_SOCK" \
		--data-root "$PL_DIR/docker-data" \
		--exec-root "$PL_DIR/docker-exec" \
		--pidfile "$PL_DIR/docker.pid" \
		--config-file "$PL_DIR/docker-daemon.json" \
		--containerd-namespace "pl-$PL_TAG" \
		--containerd-plugins-namespace "pl-$PL_TAG-plugins" \
		--bridge "$PL_BRIDGE" \
		--iptables=false --ip6tables=false --ip-masq=false \
		--default-ulimit nofile=1024:1024 \
		--shutdown-timeout 2 \
		</dev/null >>"$PL_DIR/dockerd.log" 2>&1 &
	PL_DOCKERD_PID=$!
	pl_track "$PL_DOCKERD_PID" dockerd
	if ! pl_wait_for 60 pl_docker_ping; then
		tail -n 30 "$PL_DIR/dockerd.log" >&2
		pl_die "dockerd (pid $PL_DOCKERD_PID) did not answer /_ping on $PL_DOCKER_SOCK in 60 s"
	fi
	pl_log "dockerd pid $PL_DOCKERD_PID on $PL_DOCKER_SOCK, bridge $PL_BRIDGE $net.1/24"
}

# pl_dockerd_halt [KILL]: end dockerd alone, as a host's restart of it
# would; its containers stop with it (live-restore is off).  A shim ends
# once containerd has deleted its task, and on a loaded machine dockerd's
# managed containerd can be ended before it has deleted them all: those
# shims would wait for a containerd that never comes back, so they are
# given a while, then ended by pid with their containers.  With KILL it
# dies at once, sending no events: its containers run on until the next
# dockerd cleans them up.  pl_dockerd_start starts it again on the same
# data root.
pl_dockerd_halt() {
	local i ctrd
	if [ "${1:-}" = KILL ]; then
		# Its containerd dies with it; a new one cannot start until
		# the old one has let go of its database.
		ctrd=$(pgrep -P "$PL_DOCKERD_PID" -x containerd) || ctrd=
		kill -KILL "$PL_DOCKERD_PID" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			pl_alive "$PL_DOCKERD_PID" ||
				{ [ -n "$ctrd" ] && pl_alive "$ctrd"; } || break
			sleep 0.1
		done
		if [ -n "$ctrd" ] && pl_alive "$ctrd" &&
			[ "$(cat "/proc/$ctrd/comm" 2>/dev/null)" = containerd ]; then
			pl_log "containerd $ctrd outlived its dockerd: SIGKILL"
			kill -KILL "$ctrd" 2>/dev/null || true
		fi
		wait "$PL_DOCKERD_PID" 2>/dev/null || true
		# Its pid may stay a zombie a while (this machine's init
		# reaps late): the next dockerd would take it for a running
		# containerd and wait for it in vain.
		rm -f "$PL_DIR/docker-exec/containerd/containerd.pid"
	else
		pl_kill_pid "$PL_DOCKERD_PID" 20
		if ! pl_wait_for 15 pl_not pl_shims; then
			pl_log "dockerd left $(pl_shims | wc -l) containerd shim(s) at shutdown: ending them by pid"
			pl_kill_shims
		fi
	fi
}

# pl_shims: the pids of our dockerd's containerd shims (their command
# lines name our own containerd namespace); false when there is none.
pl_shims() {
	pgrep -f -- "containerd-shim.* -namespace pl-$PL_TAG "
}

# pl_kill_shims: the containers of a dockerd that died without cleaning
# up (pl_dockerd_halt KILL, a crash) live on under their containerd shims:
# end them, then the shims, by pid.  Their command lines name our own
# containerd namespace.
pl_kill_shims() {
	local shim c
	for shim in $(pl_shims); do
		for c in $(ps -o pid= --ppid "$shim"); do
			kill -KILL "$c" 2>/dev/null || true
		done
		pl_log "leftover containerd shim $shim of our dockerd: killing it"
		kill -KILL "$shim" 2>/dev/null || true
	done
}

# pl_dockerd_stop: remove our containers, then end dockerd.
pl_dockerd_stop() {
	pl_docker ps -aq 2>/dev/null | xargs -r "$(pl_docker_bin)" \
		-H "unix://$PL_DOCKER_SOCK" rm -f >/dev/null 2>&1 || true
	pl_kill_pid "$PL_DOCKERD_PID" 20
}

# pl_make_rootfs DIR: a minimal image root from Debian's busybox-static.
pl_make_rootfs() {
	local d=$1 b
	[ -x /bin/busybox ] || pl_die "missing /bin/busybox (apt-get install busybox-static)"
	mkdir -p "$d/bin" "$d/www" "$d/tmp" "$d/etc"
	cp /bin/busybox "$d/bin/busybox"
	for b in sh httpd sleep ls cat echo true wget nc; do
		ln -sf busybox "$d/bin/$b"
	done
	printf 'portlight test page\n' >"$d/www/index.html"
}

# pl_image_import [NAME]: import the busybox image into our dockerd
# (default name plbb).  Sets PL_IMAGE.
pl_image_import() {
	PL_IMAGE=${1:-plbb}
	if [ ! -f "$PL_DIR/img.tar" ]; then
		pl_make_rootfs "$PL_DIR/rootfs"
		tar -C "$PL_DIR/rootfs" -cf "$PL_DIR/img.tar" .
	fi
	pl_docker import "$PL_DIR/img.tar" "$PL_IMAGE" >/dev/null ||
		pl_die "docker import of $PL_DIR/img.tar failed"
	pl_log "image $PL_IMAGE imported"
}

# pl_docker_started_ms NAME: when the container last started (ms since
# the epoch), from docker inspect.
pl_docker_started_ms() {
	pl_docker inspect -f '{{.State.StartedAt}}' "$1" | /usr/bin/python3 -c '
import datetime, re, sys
s = sys.stdin.read().strip()
m = re.match(r"(\d+-\d+-\d+T\d+:\d+:\d+)(?:\.(\d+))?Z$", s)
t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
t = t.replace(tzinfo=datetime.timezone.utc)
frac = (m.group(2) or "0")[:6].ljust(6, "0")
print(int(t.timestamp()) * 1000 + int(frac) // 1000)'
}

# pl_docker_httpd NAME [DOCKER-RUN-ARGS...]: a detached container running
# busybox httpd on port 80 (SIGTERM ends it at once: it is not PID 1).
pl_docker_httpd() {
	local name=$1
	shift
	pl_docker run -d --name "$name" "$@" "$PL_IMAGE" \
		sh -c 'trap "exit 0" TERM; httpd -f -p 80 -h /www & wait' >/dev/null
}

# Podman (rootful and rootless services): see lib-podman.sh (plp_*).

# --------------------------------------------------------------- portlight

# pl_portlight_start [ARGS...]: portlight in netns A on the private bus,
# log in $PL_PORTLIGHT_LOG.  ARGS default to -H unix://$PL_DOCKER_SOCK.
# Options --log-level debug are always given.
pl_portlight_start() {
	local args=("$@")
	[ -n "${PORTLIGHT_BIN:-}" ] || pl_die "PORTLIGHT_BIN is not set"
	[ -x "$PORTLIGHT_BIN" ] || pl_die "PORTLIGHT_BIN=$PORTLIGHT_BIN is not an executable"
	[ "${#args[@]}" -gt 0 ] || args=(-H "unix://$PL_DOCKER_SOCK")
	PL_PORTLIGHT_RUNS=$((${PL_PORTLIGHT_RUNS:-0} + 1))
	PL_PORTLIGHT_LOG=$PL_DIR/portlight.$PL_PORTLIGHT_RUNS.log
	PL_PORTLIGHT_STATUS=
	pl_log "starting portlight ${args[*]} (log $PL_PORTLIGHT_LOG)"
	ip netns exec "$PL_NS_A" env -u DOCKER_HOST \
		DBUS_SYSTEM_BUS_ADDRESS="$PL_BUS_ADDRESS" \
		"$PORTLIGHT_BIN" "${args[@]}" --log-level debug \
		</dev/null >"$PL_PORTLIGHT_LOG" 2>&1 &
	PL_PORTLIGHT_PID=$!
	pl_track "$PL_PORTLIGHT_PID" portlight
	sleep 0.2
	if ! pl_alive "$PL_PORTLIGHT_PID"; then
		pl_portlight_reap
		cat "$PL_PORTLIGHT_LOG" >&2
		pl_die "portlight exited at once with status $PL_PORTLIGHT_STATUS"
	fi
}

pl_portlight_reap() {
	local rc=0
	wait "$PL_PORTLIGHT_PID" 2>/dev/null || rc=$?
	PL_PORTLIGHT_STATUS=$rc
}

# pl_portlight_stop [SIGNAL] [SECONDS]: send SIGNAL (default TERM) and wait
# up to SECONDS (default 10) for the exit; sets PL_PORTLIGHT_STATUS (the
# exit status, 128+N for death by a signal, "timeout" when it did not end:
# then it is SIGKILLed).  Returns 0 when it ended by itself.
pl_portlight_stop() {
	local sig=${1:-TERM} grace=${2:-10} i
	[ -n "$PL_PORTLIGHT_PID" ] || pl_die "pl_portlight_stop: portlight is not running"
	kill -s "$sig" "$PL_PORTLIGHT_PID" 2>/dev/null || true
	for ((i = 0; i < grace * 10; i++)); do
		pl_alive "$PL_PORTLIGHT_PID" || break
		sleep 0.1
	done
	if pl_alive "$PL_PORTLIGHT_PID"; then
		kill -KILL "$PL_PORTLIGHT_PID" 2>/dev/null || true
		wait "$PL_PORTLIGHT_PID" 2>/dev/null || true
		PL_PORTLIGHT_STATUS=timeout
		pl_log "portlight did not exit within $grace s of SIG$sig: killed"
		return 1
	fi
	pl_portlight_reap
	pl_log "portlight exited with status $PL_PORTLIGHT_STATUS after SIG$sig"
}

# pl_portlight_alive: portlight is still running.
pl_portlight_alive() {
	[ -n "$PL_PORTLIGHT_PID" ] && pl_alive "$PL_PORTLIGHT_PID"
}

# pl_portlight_status_is N: the last stop left exit status N.
pl_portlight_status_is() {
	[ "$PL_PORTLIGHT_STATUS" = "$1" ] || {
		pl_log "portlight exit status is '$PL_PORTLIGHT_STATUS', expected $1"
		return 1
	}
}

# pl_portlight_log_has REGEX: portlight's current log matches (grep -E).
pl_portlight_log_has() {
	grep -Eq -- "$1" "$PL_PORTLIGHT_LOG"
}

# pl_portlight_log_count REGEX: how many lines of portlight's current log
# match (grep -E); 0 when none.
pl_portlight_log_count() {
	grep -Ec -- "$1" "$PL_PORTLIGHT_LOG" || true
}

# pl_portlight_log_count_is REGEX N, pl_portlight_log_count_above REGEX N:
# exactly N, or more than N, lines match.
pl_portlight_log_count_is() {
	[ "$(pl_portlight_log_count "$1")" -eq "$2" ]
}
pl_portlight_log_count_above() {
	[ "$(pl_portlight_log_count "$1")" -gt "$2" ]
}

# pl_sanitizer_report FILE...: true when a sanitizer (ASan, LeakSanitizer,
# UBSan) reported anything in the logs named.  A log that is missing or
# unreadable (a glob that matched nothing) is fatal: used through
# pl_check_not, a grep error would otherwise pass with nothing checked.
pl_sanitizer_report() {
	local f rc=0
	[ $# -gt 0 ] || pl_die "pl_sanitizer_report: no log named"
	for f in "$@"; do
		if [ ! -f "$f" ] || [ ! -r "$f" ]; then
			pl_die "pl_sanitizer_report: no readable log $f"
		fi
	done
	grep -q -e 'Sanitizer' -e 'runtime error' -- "$@" || rc=$?
	[ "$rc" -le 1 ] || pl_die "pl_sanitizer_report: grep failed ($rc) on $*"
	return "$rc"
}

# pl_portlight_run ARGS...: a one-shot portlight command (list, --help) in
# netns A on the private bus; output on stdout.
pl_portlight_run() {
	ip netns exec "$PL_NS_A" env -u DOCKER_HOST \
		DBUS_SYSTEM_BUS_ADDRESS="$PL_BUS_ADDRESS" timeout 30 \
		"$PORTLIGHT_BIN" "$@" </dev/null
}

# ------------------------------------------------------- the mDNS observer

# pl_mdns ARGS...: the independent mDNS client (python3-zeroconf) in B.
pl_mdns() {
	ip netns exec "$PL_NS_B" /usr/bin/python3 "$PL_MDNS_TOOL" "$@"
}

# pl_mdns_bg OUT ERR ARGS...: pl_mdns ARGS in the background, stdout to
# OUT and stderr to ERR; returns once it listens (mdns_browse.py --ready),
# so nothing the caller does next happens before the observer is there.
# Sets PL_MDNS_PID (the python process: ip netns exec execs it).
pl_mdns_bg() {
	local out=$1 err=$2 ready
	shift 2
	PL_MDNS_BG=$((${PL_MDNS_BG:-0} + 1))
	ready=$PL_DIR/mdns-ready.$PL_MDNS_BG
	rm -f "$ready"
	ip netns exec "$PL_NS_B" /usr/bin/python3 "$PL_MDNS_TOOL" \
		--ready "$ready" "$@" >"$out" 2>"$err" &
	PL_MDNS_PID=$!
	pl_track "$PL_MDNS_PID" mdns
	pl_wait_for 15 pl_mdns_bg_ready "$ready" || true
	if [ ! -e "$ready" ]; then
		cat "$err" >&2
		pl_alive "$PL_MDNS_PID" ||
			pl_die "mdns_browse.py $* (pid $PL_MDNS_PID) ended before it listened"
		pl_die "mdns_browse.py $* (pid $PL_MDNS_PID) was not listening within 15 s"
	fi
	rm -f "$ready"
}

# pl_mdns_bg_ready FILE: the observer made FILE, or has ended.
pl_mdns_bg_ready() {
	[ -e "$1" ] || ! pl_alive "$PL_MDNS_PID"
}

# pl_mdns_names TYPE [SECONDS]: the instance names of TYPE python3-zeroconf
# in B sees within SECONDS (default 3), sorted by code point, one a line
# (nothing when there are none).
pl_mdns_names() {
	local f=$PL_DIR/mdns-names.$BASHPID.json
	pl_mdns browse "$1" --timeout "${2:-3}" >"$f" || return 1
	/usr/bin/python3 -c 'import json, sys
for n in sorted(s["name"] for s in json.load(open(sys.argv[1]))["services"]):
    print(n)' "$f"
}

# pl_mdns_resolves HOST IP [SECONDS]: HOST.local resolves to IP (among
# others) from B within SECONDS (default 3).
pl_mdns_resolves() {
	pl_mdns resolve "$1" --timeout "${3:-3}" | grep -xF -- "$2" >/dev/null
}

# pl_json FILE EXPR: print a value from a JSON file (EXPR in Python over
# `d`, e.g. 'd["port"]'); fails when the file is not JSON.
pl_json() {
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"d": d})
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$1" "$2"
}

# pl_avahi_names TYPE: the instance names of TYPE avahi-daemon in A knows
# (avahi-browse -pkt, its \DDD escapes undone), once each, sorted by code
# point, one a line.
pl_avahi_names() {
	pl_in_a timeout 20 avahi-browse -pkt "$1" 2>/dev/null |
		/usr/bin/python3 -c 'import re, sys
names = set()
for line in sys.stdin.buffer:
    f = line.rstrip(b"\n").split(b";")
    if f[0] == b"+" and len(f) > 3:
        n = re.sub(rb"\\(\d{3})", lambda m: bytes([int(m.group(1))]), f[3])
        names.add(n.decode("utf-8", "replace"))
for n in sorted(names):
    print(n)'
}

# pl_avahi_browse_has REGEX TYPE: avahi-daemon's resolved view of TYPE
# has a line matching REGEX (grep -E).  grep reads to the end: with -q
# it would leave at the first match and avahi-browse, still writing,
# would die of SIGPIPE, failing the pipe under pipefail.
pl_avahi_browse_has() {
	pl_avahi_browse "$2" | grep -E -- "$1" >/dev/null
}

# pl_avahi_browse_lacks REGEX TYPE [SECONDS]: within SECONDS (default 5),
# avahi-daemon's view of TYPE has no line matching REGEX.  A withdrawn
# service stays in the daemon's cache for the 1 s TTL of its goodbye
# packet, so its absence is awaited, not sampled.
pl_avahi_browse_lacks() {
	pl_wait_for "${3:-5}" pl_not pl_avahi_browse_has "$1" "$2"
}

# ------------------------------------------------------------- all at once

# pl_sandbox: netns, bus, avahi, dockerd and the busybox image.
pl_sandbox() {
	pl_netns_up
	pl_dbus_start
	pl_avahi_start
	pl_dockerd_start
	pl_image_import
}
