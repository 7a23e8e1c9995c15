#!/usr/bin/env bash
# Issue 2 end to end, announce and withdraw: a real dockerd, a real
# avahi-daemon in netns A, portlight in A, and python3-zeroconf in netns B
# checking what went on the wire.
#   - a labelled container is seen with the right name, type, host port,
#     TXT, SRV target and address, once (the 0.0.0.0 and :: bindings of
#     one port are one service), and avahi-browse in A agrees;
#   - an unlabelled container and a loopback-bound port are never seen; of
#     a port bound to loopback and to all addresses only the latter is;
#   - `kill` alone withdraws nothing; `docker stop` withdraws at once;
#     `docker start` announces again; `docker rm -f` withdraws.
# Host ports 18210-18219.
set -euo pipefail
SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=lib.sh
. "$SOURCE_DIR/tests/integration/lib.sh"

T=_http._tcp
pl_init core_announce
pl_sandbox
pl_portlight_start -H "unix://$PL_DOCKER_SOCK"

# --- a labelled container: seen with everything right --------------------
t0=$(pl_now_ms)
pl_docker_httpd shop -p 18210:80 -l portlight.enable=true \
	-l portlight.name=Shop -l portlight.type=_http._tcp \
	-l portlight.txt.path=/
if pl_mdns wait Shop "$T" --port 18210 --txt path=/ \
	--server "$PL_HOSTNAME" --address "$PL_IP_A" --timeout 15 \
	>"$PL_DIR/shop.json"; then
	ms=$(($(pl_json "$PL_DIR/shop.json" 'd["seen_at_ms"]') - t0))
	pl_pass "Shop seen from B as $T, port 18210, TXT path=/, on $PL_HOSTNAME.local ($PL_IP_A), ${ms} ms after docker run"
	pl_log "Shop as seen: $(cat "$PL_DIR/shop.json")"
	pl_check "docker run -> visible in under 5 s (${ms} ms)" \
		test "$ms" -lt 5000
else
	pl_fail "Shop not seen from B as $T port 18210 with TXT path=/ within 15 s"
fi

pl_check "avahi-browse in A resolves Shop on IPv4 with port 18210 and TXT path=/" \
	pl_avahi_browse_has "^=;$PL_VETH_A;IPv4;Shop;[^;]*;local;$PL_HOSTNAME\\.local;$PL_IP_A;18210;.*\"path=/\"" "$T"

# --- never seen: unlabelled, loopback-bound; mixed: only the public one ---
pl_docker_httpd plain -p 18211:80
pl_docker_httpd loop -p 127.0.0.1:18212:80 -l portlight.enable=true \
	-l portlight.name=Loop
pl_docker_httpd mixed -p 127.0.0.1:18213:80 -p 18214:80 \
	-l portlight.enable=true -l portlight.name=Mixed
pl_check "Mixed seen with its public port 18214" \
	pl_mdns wait Mixed "$T" --port 18214 --timeout 15
# By now a wrongly announced one would have had time to probe and show.
pl_mdns browse "$T" --timeout 3 >"$PL_DIR/browse1.json"
pl_log "seen from B: $(pl_json "$PL_DIR/browse1.json" '[(s["name"], s["port"]) for s in d["services"]]')"
pl_check "exactly Shop and Mixed are seen (no unlabelled, no Loop, no 'Shop #2')" \
	test "$(pl_json "$PL_DIR/browse1.json" 'sorted(s["name"] for s in d["services"])')" = '["Mixed", "Shop"]'
pl_check "no service on the unlabelled container's port 18211" \
	pl_mdns absent '*' "$T" --port 18211 --for 1
pl_check_not "avahi-browse has no Loop and no port 18212/18213" \
	pl_avahi_browse_has ';Loop;|;1821[23];' "$T"

# --- kill alone is not a stop -------------------------------------------
pl_docker kill -s USR1 shop >/dev/null
pl_check_not "docker kill -s USR1 (no stop) leaves Shop announced" \
	pl_mdns gone Shop "$T" --timeout 3

# --- docker stop withdraws promptly ---------------------------------------
pl_mdns gone Shop "$T" --timeout 20 >"$PL_DIR/gone1.json" &
gone_pid=$!
sleep 1.5 # let the observer see Shop present first
t0=$(pl_now_ms)
pl_docker stop -t 5 shop >/dev/null
if wait "$gone_pid"; then
	ms=$(($(pl_json "$PL_DIR/gone1.json" 'd["gone_at_ms"]') - t0))
	pl_check "B saw Shop present before the stop" \
		test "$(pl_json "$PL_DIR/gone1.json" 'd["was_present"]')" = True
	pl_check "docker stop -> Shop gone from B in under 3 s (${ms} ms)" \
		test "$ms" -lt 3000
else
	pl_fail "Shop still seen from B 20 s after docker stop"
fi
pl_check_not "avahi-browse in A no longer lists Shop" \
	pl_avahi_browse_has ';Shop;' "$T"
pl_check "Mixed is still announced" \
	pl_mdns wait Mixed "$T" --port 18214 --timeout 5

# --- docker start announces again; rm -f withdraws -----------------------
pl_docker start shop >/dev/null
pl_check "docker start -> Shop announced again (port 18210, TXT path=/)" \
	pl_mdns wait Shop "$T" --port 18210 --txt path=/ --timeout 15
pl_docker rm -f shop >/dev/null
pl_check "docker rm -f -> Shop gone" pl_mdns gone Shop "$T" --timeout 10

pl_check "portlight still running" pl_portlight_alive
pl_portlight_stop TERM 10 || true
pl_check "portlight exits 0 on SIGTERM" pl_portlight_status_is 0
pl_finish
