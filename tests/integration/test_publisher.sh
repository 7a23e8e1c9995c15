#!/bin/bash
# test_publisher: discovery/publisher.c (and evpoll.c) against a real
# avahi-daemon, checked on the wire by python3-zeroconf.  probe_publish
# publishes records given on its command line; we look at them from
# another namespace while avahi-daemon is restarted, while another host
# already owns our name, and while avahi-daemon's limits are low.
#
#   netns A: private avahi-daemon (private D-Bus) + probe_publish
#   netns B: bridge joining A's and C's links; mdns_browse.py (zeroconf)
#   netns C: a second avahi-daemon (no D-Bus) announcing a clashing name
#
# Needs root; fails (never skips) when it cannot run.  Uses lib.sh for the
# sandbox (names, leftovers, clean-up by pid), namespace C included
# (pl_netns_c_up, pl_avahi_c_start).

set -u

SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=lib.sh
. "$SOURCE_DIR/tests/integration/lib.sh" || {
	echo "FAIL: cannot load $SOURCE_DIR/tests/integration/lib.sh" >&2
	exit 1
}

PROBE=${PROBE_DIR:-$SOURCE_DIR/build/tests/integration}/probe_publish

pl_init publisher
[ -x "$PROBE" ] || pl_die "no probe_publish at $PROBE (build first; PROBE_DIR)"

# ------------------------------------------------------------- the network

pl_netns_up
pl_netns_c_up # C's avahi-daemon is on the same link (lib.sh cleans C up)

pl_dbus_start
pl_avahi_start

# ------------------------------------------------------------------ helpers

PUB_PROBE_PID=
PUB_PROBE_RUNS=0
PUB_PROBE_STATUS=

# pub_probe_start ARGS...: probe_publish in A on the private bus.
pub_probe_start() {
	PUB_PROBE_RUNS=$((PUB_PROBE_RUNS + 1))
	PUB_LOG=$PL_DIR/portlight-probe.$PUB_PROBE_RUNS.log
	PUB_OUT=$PL_DIR/probe.$PUB_PROBE_RUNS.out
	pl_log "probe_publish $*"
	ip netns exec "$PL_NS_A" env DBUS_SYSTEM_BUS_ADDRESS="$PL_BUS_ADDRESS" \
		"$PROBE" "$@" </dev/null >"$PUB_OUT" 2>"$PUB_LOG" &
	PUB_PROBE_PID=$!
	pl_track "$PUB_PROBE_PID" probe_publish
	sleep 0.2
	pl_alive "$PUB_PROBE_PID" || {
		cat "$PUB_LOG" >&2
		pl_die "probe_publish exited at once"
	}
}

# pub_probe_stop: SIGTERM, wait; PUB_PROBE_STATUS is its exit status.
pub_probe_stop() {
	local i
	kill -TERM "$PUB_PROBE_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		pl_alive "$PUB_PROBE_PID" || break
		sleep 0.1
	done
	if pl_alive "$PUB_PROBE_PID"; then
		kill -KILL "$PUB_PROBE_PID"
		wait "$PUB_PROBE_PID" 2>/dev/null || true
		PUB_PROBE_STATUS=timeout
		pl_log "probe_publish did not exit within 10 s of SIGTERM: killed"
		return 0
	fi
	PUB_PROBE_STATUS=0
	wait "$PUB_PROBE_PID" || PUB_PROBE_STATUS=$?
	pl_log "probe_publish exited with $PUB_PROBE_STATUS"
}

pub_log_count() {
	grep -c -E -- "$1" "$PUB_LOG"
}

pub_log_has() {
	grep -q -E -- "$1" "$PUB_LOG"
}

pub_status_is() {
	[ "$PUB_PROBE_STATUS" = "$1" ]
}

# pub_avahi_sees REGEX: a line of avahi-browse -rpt _http._tcp in A.
pub_avahi_sees() {
	# -k: raw type names ("_http._tcp", not "Web Site").
	pl_in_a timeout 20 avahi-browse -rpkt _http._tcp \
		>"$PL_DIR/avahi-browse.out" 2>&1
	grep -q -- "$1" "$PL_DIR/avahi-browse.out" || {
		pl_log "avahi-browse -rpt _http._tcp in A said:"
		cat "$PL_DIR/avahi-browse.out" >&2
		return 1
	}
}

# pub_names_are NAMES WANT... -- NOT...: every WANT is a line of NAMES and
# no NOT is.
pub_names_are() {
	local names=$1 n
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		grep -qxF -- "$1" <<<"$names" || return 1
		shift
	done
	[ $# -gt 0 ] && shift
	for n in "$@"; do
		grep -qxF -- "$n" <<<"$names" && return 1
	done
	return 0
}

# pub_avahi_c_start: avahi-daemon in C (pl_avahi_c_start) with a static
# service "Clash" _http._tcp port 9999, and "Storm".."Storm #16".
pub_avahi_c_start() {
	local d=$PL_DIR/avahi-c/services i n
	mkdir -p "$d"
	pl_avahi_service_file "$d" Clash _http._tcp 9999
	# RFC 6762 rate limit: "Storm" and "Storm #2".."Storm #16" taken,
	# so ours collides 16 times before "Storm #17" is free.
	for i in $(seq 1 16); do
		n="Storm #$i"
		[ "$i" = 1 ] && n=Storm
		pl_avahi_service_file "$d" "$n" _storm._tcp 9998
	done
	pl_avahi_c_start "$d"
}

# ------------------------------------------------------------------- tests

# 1. Services, TXT, subtype, alias -------------------------------------------
pub_probe_start Shop _http._tcp 18080 --txt path=/ --txt v=1 \
	--sub _printer._sub._http._tcp \
	--service "Shop API" _api._tcp 18081 --txt x=y \
	--alias plshop --addr "$PL_IP_A"

pl_check "Shop _http._tcp port 18080, TXT path=/ v=1, subtype _printer seen from B" \
	pl_mdns wait Shop _http._tcp --port 18080 --txt path=/ --txt v=1 \
	--subtype _printer --timeout 10
pl_check "Shop API _api._tcp port 18081 TXT x=y seen from B" \
	pl_mdns wait "Shop API" _api._tcp --port 18081 --txt x=y --timeout 10
pl_check "alias plshop.local resolves to $PL_IP_A from B" \
	pl_mdns_resolves plshop "$PL_IP_A" 5
pl_check "avahi-daemon's own view has Shop on port 18080" \
	pub_avahi_sees '^=;.*;Shop;_http._tcp;.*;18080;' 
pl_check "probe says settled" pl_wait_for 5 grep -q '^settled 1' "$PUB_OUT"
pl_check "announced is logged naming the key" \
	pub_log_has 'probe: container 0123456789ab \(probe\): announced "Shop" _http._tcp port 18080'

# 2. The same records again: nothing goes to the network ---------------------
commits=$(pub_log_count 'committed')
kill -HUP "$PUB_PROBE_PID"
pl_check "same records set again: SIGHUP was handled" \
	pl_wait_for 10 pub_log_has 'SIGHUP: setting the same records again'
sleep 1 # a commit would follow at once
pl_check "same records set again: no new commit" \
	[ "$(pub_log_count 'committed')" = "$commits" ]

# 3. avahi-daemon restarted, with a change made while it was away ------------
pl_avahi_stop
pl_check "avahi-daemon stopped: Shop gone from B" \
	pl_mdns gone Shop _http._tcp --timeout 5 --settle 1
pl_check "probe noticed avahi-daemon going" \
	pl_wait_for 5 pub_log_has 'lost avahi-daemon|waiting for avahi-daemon'
kill -USR1 "$PUB_PROBE_PID" # TXT changed=1 while avahi is away
sleep 1
pl_check "probe still running while avahi-daemon is away" pl_alive "$PUB_PROBE_PID"
pl_avahi_start
t0=$(pl_now_ms)
pl_check "after avahi-daemon restart: Shop back within 3 s, with the change" \
	pl_mdns wait Shop _http._tcp --port 18080 --txt changed=1 --txt path=/ --timeout 3
pl_log "Shop back $(($(pl_now_ms) - t0)) ms after avahi-daemon was RUNNING"
pl_check "after avahi-daemon restart: Shop API back" \
	pl_mdns wait "Shop API" _api._tcp --port 18081 --timeout 3
pl_check "after avahi-daemon restart: alias back" \
	pl_mdns_resolves plshop "$PL_IP_A" 3

# 4. SIGTERM: withdrawn (goodbye), exit 0 ------------------------------------
pub_probe_stop
pl_check "SIGTERM: probe exited 0" pub_status_is 0
pl_check "SIGTERM: Shop gone from B within 3 s" \
	pl_mdns gone Shop _http._tcp --timeout 3 --settle 0.5
pl_check "SIGTERM: Shop API gone from B within 3 s" \
	pl_mdns gone "Shop API" _api._tcp --timeout 3 --settle 0.5

# 4b. Records avahi-daemon refuses: logged with its reason, no crash -------
pub_probe_start "Bad" no-underscore.tcp 18085
pl_check "refused service type: logged naming the key and avahi's reason" \
	pl_wait_for 5 pub_log_has '\(probe\): service "Bad" \(no-underscore.tcp port 18085\): avahi-daemon refused it: Invalid service type'
pl_check "refused service type: probe keeps running" pl_alive "$PUB_PROBE_PID"
pub_probe_stop
pl_check "probe exited 0" pub_status_is 0

# 5. Another host already has the name: renamed once, and it stays -----------
pub_avahi_c_start
pl_check "netns C's avahi-daemon announces Clash (port 9999)" \
	pl_mdns wait Clash _http._tcp --port 9999 --timeout 15
pub_probe_start Clash _http._tcp 18090 --txt who=probe
pl_check "ours renamed to \"Clash #2\", port 18090, seen from B" \
	pl_mdns wait "Clash #2" _http._tcp --port 18090 --txt who=probe --timeout 10
pl_check "the rename is logged as wanted" \
	pub_log_has 'probe: container 0123456789ab \(probe\): name "Clash" is taken on the network, now "Clash #2"'
sleep 4
kill -HUP "$PUB_PROBE_PID" # same records, original name "Clash"
sleep 2
kill -USR1 "$PUB_PROBE_PID" # changed records, same original name "Clash"
pl_check "changed records keep the new name: \"Clash #2\" with TXT changed=1" \
	pl_mdns wait "Clash #2" _http._tcp --port 18090 --txt changed=1 --timeout 10
pl_check "renamed exactly once" [ "$(pub_log_count 'is taken')" = 1 ]
names=$(pl_mdns_names _http._tcp 3)
pl_log "_http._tcp seen from B: $(echo "$names" | tr '\n' ',')"
pl_check "\"Clash #2\" still there, no \"Clash #3\"" \
	pub_names_are "$names" 'Clash #2' -- 'Clash #3' 
pl_check "C's Clash still on port 9999" \
	pl_mdns wait Clash _http._tcp --port 9999 --timeout 5
pub_probe_stop
pl_check "probe exited 0" pub_status_is 0

# 5b. Repeated conflicts are rate limited (RFC 6762 8.1) --------------------
# After 15 conflicts the next probe must wait at least 5 s.  (avahi-daemon
# itself holds each commit of a group off 1 s after the previous one, and
# 20 s after 15 commits; the publisher's own 15-in-10-s limit adds 5 s.)
pl_check "netns C's avahi-daemon announces Storm #16" \
	pl_mdns wait "Storm #16" _storm._tcp --port 9998 --timeout 15
pub_probe_start Storm _storm._tcp 18095
pl_check "15 conflicts: renamed to \"Storm #16\"" \
	pl_wait_for 40 pub_log_has 'now "Storm #16"'
t1=$SECONDS
pl_check "16th conflict: renamed to \"Storm #17\"" \
	pl_wait_for 45 pub_log_has 'now "Storm #17"'
t2=$SECONDS
pl_log "16th conflict $((t2 - t1)) s after the 15th"
pl_check "the probe after 15 conflicts waited at least 5 s" \
	[ $((t2 - t1)) -ge 5 ]
pl_check "16 renames logged, one per conflict" \
	[ "$(pub_log_count 'is taken on the network')" = 16 ]
pub_probe_stop
pl_check "probe exited 0" pub_status_is 0

# 6. Avahi absent at start, then a low objects-per-client-max ----------------
pl_avahi_stop
pub_probe_start --copies 5 Lim _http._tcp 18100
sleep 1
pl_check "avahi absent at start: probe keeps running" pl_alive "$PUB_PROBE_PID"
pl_avahi_start "objects-per-client-max=3"
pl_check "limit: 3 of 5 keys announced" \
	pl_mdns wait "Lim 2" _http._tcp --port 18100 --timeout 10
names=$(pl_mdns_names _http._tcp 3)
pl_log "_http._tcp seen from B: $(echo "$names" | tr '\n' ',')"
pl_check "limit: Lim 0..2 seen, Lim 3 and 4 not" \
	pub_names_are "$names" 'Lim 0' 'Lim 1' 'Lim 2' -- 'Lim 3' 'Lim 4' 
pl_check "limit: the refusal is logged naming the key and the limit" \
	pl_wait_for 5 pub_log_has '\(probe\) #3: entry group: avahi-daemon refused it: Too many objects'
kill -USR2 "$PUB_PROBE_PID" # remove Lim 0: room for one more
pl_check "limit: room freed, Lim 3 announced" \
	pl_mdns wait "Lim 3" _http._tcp --port 18100 --timeout 10
pl_check "limit: Lim 0 withdrawn" \
	pl_mdns gone "Lim 0" _http._tcp --timeout 5 --settle 0.5
pub_probe_stop
pl_check "probe exited 0" pub_status_is 0
# 7. D-Bus restarted: the client is retried with backoff, never spinning -----
pub_probe_start Bus _http._tcp 18110
pl_check "Bus seen from B" \
	pl_mdns wait Bus _http._tcp --port 18110 --timeout 10
pl_dbus_stop
cpu0=$(pl_cpu_ms "$PUB_PROBE_PID")
sleep 10
cpu1=$(pl_cpu_ms "$PUB_PROBE_PID")
pl_log "probe CPU during 10 s without D-Bus: $((cpu1 - cpu0)) ms"
pl_check "D-Bus away 10 s: probe used under 0.2 s of CPU" \
	[ $((cpu1 - cpu0)) -lt 200 ]
pl_check "D-Bus away: reconnects logged with a growing delay" \
	pub_log_has 'avahi: cannot connect: .*, retrying in (4|8|16) s'
rm -f "$PL_DIR/bus"
pl_dbus_start
if ! pl_wait_for 5 pl_avahi_running; then
	pl_log "avahi-daemon did not come back to the new bus: restarting it"
	pl_avahi_stop
	pl_avahi_start "objects-per-client-max=3"
fi
pl_check "after D-Bus restart: Bus back on the network" \
	pl_mdns wait Bus _http._tcp --port 18110 --timeout 40
pub_probe_stop
pl_check "probe exited 0" pub_status_is 0

pl_check_not "no sanitizer report in the probe's logs" \
	pl_sanitizer_report "$PL_DIR"/portlight-probe.*.log

if [ "$PL_FAILS" -ne 0 ] && [ -s "$PL_DIR/avahi-c.log" ]; then
	printf -- '----- avahi-c.log (netns C, last 40 lines) -----\n'
	tail -n 40 "$PL_DIR/avahi-c.log"
fi
pl_finish
