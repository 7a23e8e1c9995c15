#!/usr/bin/env bash
# Issue 2 end to end, announce and withdraw: a real dockerd, a real
# avahi-daemon in netns A, portlight in A, and python3-zeroconf in netns B
# checking what went on the wire.
#   - a labelled container is seen with the right name, type, host port,
#     TXT, SRV target and address, once (the 0.0.0.0 and :: bindings of
#     one port are one service), and avahi-browse in A agrees;
#   - an unlabelled container and a loopback-bound port are never seen; of
#     a port bound to loopback and to all addresses only the latter is;
#   - an invalid type or TXT pair is skipped with a log line naming the
#     container and the label, and the rest is announced (the default
#     type in place of the invalid one);
#   - `kill` alone withdraws nothing; `docker stop` withdraws at once;
#     `docker start` announces again; `docker rm -f` withdraws.
# Host ports: the sandbox's block, P0..P6 (pl_port).
set -euo pipefail
SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SOURCE_DIR/tests/integration/lib.sh"

T=_http._tcp
pl_init core_announce
P0=$(pl_port 0) P1=$(pl_port 1) P2=$(pl_port 2) P3=$(pl_port 3)
P4=$(pl_port 4) P5=$(pl_port 5) P6=$(pl_port 6)
pl_sandbox
pl_portlight_start -H "unix://$PL_DOCKER_SOCK"

# --- a labelled container: seen with everything right --------------------
pl_docker_httpd shop -p "$P0:80" -l portlight.enable=true \
	-l portlight.name=Shop -l portlight.type=_http._tcp \
	-l portlight.txt.path=/
if pl_mdns wait Shop "$T" --port "$P0" --txt path=/ \
	--server "$PL_HOSTNAME" --address "$PL_IP_A" --timeout 15 \
	>"$PL_DIR/shop.json"; then
	ms=$(($(pl_json "$PL_DIR/shop.json" 'd["seen_at_ms"]') - $(pl_docker_started_ms shop)))
	pl_pass "Shop seen from B as $T, port $P0, TXT path=/, on $PL_HOSTNAME.local ($PL_IP_A)"
	pl_log "Shop as seen: $(cat "$PL_DIR/shop.json")"
	# RFC 6762 probing takes about 1 s of this; the rest is ours.
	pl_check "container start -> visible from B in under 3 s (${ms} ms)" \
		test "$ms" -lt 3000
else
	pl_fail "Shop not seen from B as $T port $P0 with TXT path=/ within 15 s"
fi

pl_check "avahi-browse in A resolves Shop on IPv4 with port $P0 and TXT path=/" \
	pl_avahi_browse_has "^=;$PL_VETH_A;IPv4;Shop;[^;]*;local;$PL_HOSTNAME\\.local;$PL_IP_A;$P0;.*\"path=/\"" "$T"

# --- never seen: unlabelled, loopback-bound; mixed: only the public one ---
pl_docker_httpd plain -p "$P1:80"
pl_docker_httpd loop -p "127.0.0.1:$P2:80" -l portlight.enable=true \
	-l portlight.name=Loop
pl_docker_httpd mixed -p "127.0.0.1:$P3:80" -p "$P4:80" \
	-l portlight.enable=true -l portlight.name=Mixed
pl_check "Mixed seen with its public port $P4" \
	pl_mdns wait Mixed "$T" --port "$P4" --timeout 15
# By now a wrongly announced one would have had time to probe and show.
pl_mdns browse "$T" --timeout 3 >"$PL_DIR/browse1.json"
pl_log "seen from B: $(pl_json "$PL_DIR/browse1.json" '[(s["name"], s["port"]) for s in d["services"]]')"
pl_check "exactly Shop and Mixed are seen (no unlabelled, no Loop, no 'Shop #2')" \
	test "$(pl_json "$PL_DIR/browse1.json" 'sorted(s["name"] for s in d["services"])')" = '["Mixed", "Shop"]'
pl_check "no service on the unlabelled container's port $P1" \
	pl_mdns absent '*' "$T" --port "$P1" --for 1
pl_check_not "avahi-browse has no Loop and no port $P2/$P3" \
	pl_avahi_browse_has ";Loop;|;($P2|$P3);" "$T"

# --- invalid values: skipped with a log line naming container and label ---
big=$(printf 'x%.0s' $(seq 300)) # a TXT pair over 255 bytes
pl_docker_httpd badtype -p "$P5:80" -l portlight.enable=true \
	-l portlight.name=BadType -l portlight.type=_much-too-long-a-name._tcp
pl_docker_httpd txtbad -p "$P6:80" -l portlight.enable=true \
	-l portlight.name=TxtBad -l portlight.txt.ok=1 -l "portlight.txt.big=$big"
pl_check "TxtBad seen with its valid TXT ok=1 (the overlong pair skipped)" \
	pl_mdns wait TxtBad "$T" --port "$P6" --txt ok=1 --timeout 15
pl_check "TxtBad's overlong TXT pair is not published (nothing cut silently)" \
	test "$(pl_mdns browse "$T" --timeout 1 | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print([sorted(s["txt"]) for s in d["services"] if s["name"] == "TxtBad"])')" = "[['ok']]"
pl_check "an invalid portlight.type is skipped: BadType announced with the default $T" \
	pl_mdns wait BadType "$T" --port "$P5" --timeout 10
pl_check "the log names container badtype and label portlight.type" \
	pl_portlight_log_has 'badtype.*portlight\.type|portlight\.type.*badtype'
pl_check "the log names container txtbad and label portlight.txt.big" \
	pl_portlight_log_has 'txtbad.*portlight\.txt\.big|portlight\.txt\.big.*txtbad'

# --- kill alone is not a stop -------------------------------------------
pl_docker kill -s USR1 shop >/dev/null
pl_check_not "docker kill -s USR1 (no stop) leaves Shop announced" \
	pl_mdns gone Shop "$T" --timeout 3

# --- docker stop withdraws promptly ---------------------------------------
# The observer is there and has seen Shop before the stop.
pl_mdns_bg "$PL_DIR/gone1.json" "$PL_DIR/gone1.err" \
	gone Shop "$T" --timeout 20 --settle 10
gone_pid=$PL_MDNS_PID
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
pl_check "avahi-browse in A no longer lists Shop" \
	pl_avahi_browse_lacks ';Shop;' "$T"
pl_check "Mixed is still announced" \
	pl_mdns wait Mixed "$T" --port "$P4" --timeout 5

# --- docker start announces again; rm -f withdraws -----------------------
pl_docker start shop >/dev/null
pl_check "docker start -> Shop announced again (port $P0, TXT path=/)" \
	pl_mdns wait Shop "$T" --port "$P0" --txt path=/ --timeout 15
pl_docker rm -f shop >/dev/null
pl_check "docker rm -f -> Shop gone" pl_mdns gone Shop "$T" --timeout 10

pl_check "portlight still running" pl_portlight_alive
pl_portlight_stop TERM 10 || true
pl_check "portlight exits 0 on SIGTERM" pl_portlight_status_is 0
pl_finish
