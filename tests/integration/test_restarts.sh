#!/usr/bin/env bash
# Issue 5, the daemons around portlight dying and coming back, end to end
# with the real portlight binary; python3-zeroconf in netns B and
# avahi-browse in A check the result:
#   6. portlight SIGKILLed and started again: the same names, no " #2"
#      (avahi drops a dead client's records with its D-Bus connection);
#   3. dockerd stopped and started again on the same data root: the
#      container without a restart policy is withdrawn, the --restart=always
#      one is announced again, a container started afterwards is announced,
#      nothing twice; once with SIGTERM (dockerd reports each container's
#      death first), once with SIGKILL and a SIGHUP while it is away (no
#      events, and none replayed: the resync's sweep must find what did
#      not come back);
#   4. avahi-daemon restarted: everything back within 3 s of its return,
#      a container started during the outage too, and one stopped during
#      it not; and portlight started
#      while avahi-daemon is absent tracks containers and publishes them
#      when it appears;
#   5. the D-Bus daemon restarted (avahi-daemon with it, as on a host):
#      portlight recovers, and spends < 0.2 s of CPU during a 10 s outage.
# Host ports: the sandbox's block, P0-P3 (pl_port).
set -euo pipefail
SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SOURCE_DIR/tests/integration/lib.sh"

T=_http._tcp
pl_init restarts
P0=$(pl_port 0) P1=$(pl_port 1) P2=$(pl_port 2) P3=$(pl_port 3)
pl_sandbox

# ------------------------------------------------------------------ helpers

# names_are NAME...: B sees exactly these instances of $T (sorted), and
# avahi-daemon's own view lists each exactly once (one resolved IPv4 line
# on our veth) and nothing renamed.
# shellcheck disable=SC2317 # called through pl_check
names_are() {
	local want got view n pid
	want=$(printf '%s\n' "$@" | sort | paste -sd' ')
	# Both views at once: each takes a second or two.
	pl_avahi_browse "$T" >"$PL_DIR/names.avahi" &
	pid=$!
	got=$(pl_mdns_names "$T" 1.5 | paste -sd' ') || return 1
	wait "$pid" || return 1
	if [ "$got" != "$want" ]; then
		pl_log "B sees [$got], expected [$want]"
		return 1
	fi
	view=$(grep "^=;$PL_VETH_A;IPv4;" "$PL_DIR/names.avahi") || true
	if grep -q '#' <<<"$view"; then
		pl_log "avahi-browse lists a renamed name: $view"
		return 1
	fi
	if [ "$(wc -l <<<"$view")" -ne "$#" ]; then
		pl_log "avahi-browse lists $(wc -l <<<"$view") records, expected $#: $view"
		return 1
	fi
	for n in "$@"; do
		# avahi-browse -p names the type by its description ("Web Site").
		if [ "$(grep -c "^=;$PL_VETH_A;IPv4;$n;" <<<"$view")" -ne 1 ]; then
			pl_log "avahi-browse does not list $n exactly once: $view"
			return 1
		fi
	done
}

# running NAME: docker reports container NAME running (read afresh on
# each call, so pl_wait_for polls it).
# shellcheck disable=SC2317 # called through pl_wait_for
running() {
	[ "$(pl_docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]
}

# watch_back NAME:PORT...: start one observer per name in B (background,
# listening when this returns), waiting up to 40 s for it to be
# announced; wait_back collects them.
declare -A watcher
watch_back() {
	local spec n
	for spec in "$@"; do
		n=${spec%%:*}
		pl_mdns_bg "$PL_DIR/back_$n.json" "$PL_DIR/back_$n.err" \
			wait "$n" "$T" --port "${spec#*:}" --timeout 40
		watcher[$n]=$PL_MDNS_PID
	done
}

# wait_back LIMIT_MS SINCE_MS WHAT NAME...: each NAME was seen from B
# within LIMIT_MS of SINCE_MS.
wait_back() {
	local limit=$1 since=$2 what=$3 n ms
	shift 3
	for n in "$@"; do
		if wait "${watcher[$n]}"; then
			ms=$(($(pl_json "$PL_DIR/back_$n.json" 'd["seen_at_ms"]') - since))
			if [ "$ms" -le "$limit" ]; then
				pl_pass "$what: $n back on the wire ${ms} ms after (limit $limit ms)"
			else
				pl_fail "$what: $n back on the wire only ${ms} ms after (limit $limit ms)"
			fi
		else
			pl_fail "$what: $n not seen from B within 40 s"
			cat "$PL_DIR/back_$n.err" >&2
		fi
	done
}

# ------------------------------------------------- 6. SIGKILL and restart

pl_docker_httpd keep --restart=always -p "$P0:80" -l portlight.name=Keep
pl_docker_httpd lost -p "$P1:80" -l portlight.name=Lost

pl_portlight_start
pl_check "Keep announced" pl_mdns wait Keep "$T" --port "$P0" --timeout 15
pl_check "Lost announced" pl_mdns wait Lost "$T" --port "$P1" --timeout 10

pl_portlight_stop KILL 5 || true
pl_check "portlight died of SIGKILL (status $PL_PORTLIGHT_STATUS)" \
	pl_portlight_status_is 137
pl_portlight_start
pl_check "after SIGKILL and a new start: Keep under its own name" \
	pl_mdns wait Keep "$T" --port "$P0" --timeout 15
pl_check "after SIGKILL and a new start: Lost under its own name" \
	pl_mdns wait Lost "$T" --port "$P1" --timeout 10
pl_check "after SIGKILL: exactly Keep and Lost, once each, no \" #2\"" \
	names_are Keep Lost
pl_check_not "after SIGKILL: the new portlight saw no name taken" \
	pl_portlight_log_has 'is taken'

# ----------------------------------------- 3. dockerd stopped and started

pl_dockerd_halt
pl_log "dockerd halted; starting it again on the same data root"
pl_dockerd_start
pl_check "dockerd restarted keep (--restart=always)" \
	pl_wait_for 20 running keep
pl_check "lost (no restart policy) did not come back" \
	test "$(pl_docker inspect -f '{{.State.Running}}' lost)" = false
pl_docker_httpd fresh -p "$P2:80" -l portlight.name=Fresh
pl_check "after the dockerd restart: Lost withdrawn" \
	pl_mdns gone Lost "$T" --timeout 30
pl_check "after the dockerd restart: Keep announced" \
	pl_mdns wait Keep "$T" --port "$P0" --timeout 10
pl_check "after the dockerd restart: Fresh (new) announced" \
	pl_mdns wait Fresh "$T" --port "$P2" --timeout 15
pl_check "after the dockerd restart: exactly Keep and Fresh, once each" \
	names_are Keep Fresh
pl_check "portlight reconnected to dockerd (log)" \
	pl_portlight_log_has 'BACKOFF -> CONNECTING'

# SIGKILL: no die events; fresh (no restart policy) runs on until the new
# dockerd kills it while it starts.  The new dockerd would replay that
# death (portlight subscribes with since=); a SIGHUP meanwhile asks for a
# full resync, with no replay, so only the sweep can withdraw Fresh.
pl_dockerd_halt KILL
pl_log "dockerd SIGKILLed; SIGHUP to portlight; dockerd started again"
pl_check "dockerd died at once of SIGKILL, Fresh still announced meanwhile" \
	pl_mdns wait Fresh "$T" --port "$P2" --timeout 5
kill -HUP "$PL_PORTLIGHT_PID"
pl_check "SIGHUP while dockerd is away: resync logged" \
	pl_wait_for 5 pl_portlight_log_has 'SIGHUP: .*resync'
pl_dockerd_start
pl_check "dockerd restarted keep again" \
	pl_wait_for 20 running keep
pl_docker_httpd late -p "$P1:80" -l portlight.name=Late
pl_check "after SIGKILL of dockerd: Fresh withdrawn by the sweep (logged)" \
	pl_wait_for 30 pl_portlight_log_has '\(fresh\): no longer running, withdrawing'
pl_check "after SIGKILL of dockerd: Fresh gone from B" \
	pl_mdns gone Fresh "$T" --timeout 10
pl_check "after SIGKILL of dockerd: Late (new) announced" \
	pl_mdns wait Late "$T" --port "$P1" --timeout 15
pl_check "after SIGKILL of dockerd: exactly Keep and Late, once each" \
	names_are Keep Late

# --------------------------------------------- 4. avahi-daemon restarted

pl_docker_httpd goner -p "$P2:80" -l portlight.name=Goner
pl_check "Goner announced" pl_mdns wait Goner "$T" --port "$P2" --timeout 15
pl_avahi_stop
pl_log "avahi-daemon stopped; starting a container and stopping another"
pl_docker_httpd during -p "$P3:80" -l portlight.name=During
pl_docker stop -t 2 goner >/dev/null
pl_check "portlight tracks During while avahi-daemon is away" \
	pl_wait_for 10 pl_portlight_log_has 'announcing "During"'
pl_check "portlight tracks Goner's stop while avahi-daemon is away" \
	pl_wait_for 10 pl_portlight_log_has '\(goner\): withdrawing'
watch_back "Keep:$P0" "Late:$P1" "During:$P3"
pl_avahi_start
ready=$(pl_now_ms)
wait_back 3000 "$ready" "avahi-daemon restarted" Keep Late During
pl_check "after the avahi-daemon restart: exactly Keep, Late, During (not Goner)" \
	names_are Keep Late During

# portlight started while avahi-daemon is absent.
pl_portlight_stop TERM 10 || true
pl_avahi_stop
pl_portlight_start
pl_check "avahi-daemon absent at start: portlight waits for it (log)" \
	pl_wait_for 10 pl_portlight_log_has 'waiting for avahi-daemon|cannot connect'
pl_check "avahi-daemon absent at start: the containers are tracked (log)" \
	pl_wait_for 10 pl_portlight_log_count_is 'announcing "(Keep|Late|During)"' 3
pl_check "portlight keeps running without avahi-daemon" pl_portlight_alive
watch_back "Keep:$P0" "Late:$P1" "During:$P3"
pl_avahi_start
ready=$(pl_now_ms)
wait_back 3000 "$ready" "avahi-daemon appeared after portlight" Keep Late During
pl_check "avahi-daemon appeared: exactly Keep, Late, During" \
	names_are Keep Late During

# ------------------------------------------------ 5. D-Bus daemon restarted

[ "$(cat "/proc/$PL_PORTLIGHT_PID/comm")" = portlight ] ||
	pl_die "pid $PL_PORTLIGHT_PID is not portlight"
pl_dbus_stop
cpu0=$(pl_cpu_ms "$PL_PORTLIGHT_PID")
sleep 10
cpu1=$(pl_cpu_ms "$PL_PORTLIGHT_PID")
cpu_ms=$((cpu1 - cpu0))
pl_check "D-Bus down 10 s: portlight used ${cpu_ms} ms of CPU (limit 200 ms)" \
	test "$cpu_ms" -lt 200
attempts=$(pl_portlight_log_count 'avahi: cannot connect')
pl_check "D-Bus down 10 s: $attempts connection attempts, backing off (<= 6)" \
	test "$attempts" -le 6
pl_check "portlight survives the D-Bus outage" pl_portlight_alive
waiting0=$(pl_portlight_log_count 'avahi: waiting for avahi-daemon to appear on D-Bus')
pl_dbus_start
# The bus socket's return is watched (inotify): portlight is back on the
# bus at once, not at its next backoff step (8 s or more by now).
pl_check "D-Bus back: portlight reconnects to the bus within 2 s" \
	pl_wait_for 2 pl_portlight_log_count_above \
	'avahi: waiting for avahi-daemon to appear on D-Bus' "$waiting0"
# avahi-daemon leaves with its bus; a host's init restarts it.
pl_avahi_stop
watch_back "Keep:$P0" "Late:$P1" "During:$P3"
pl_avahi_start
ready=$(pl_now_ms)
wait_back 3000 "$ready" "D-Bus and avahi-daemon restarted" Keep Late During
pl_check "after the D-Bus restart: exactly Keep, Late, During" \
	names_are Keep Late During

pl_portlight_stop TERM 10 || true
pl_check "portlight exits 0 on SIGTERM at the end" pl_portlight_status_is 0
pl_finish
