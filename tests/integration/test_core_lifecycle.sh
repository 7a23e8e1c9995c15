#!/usr/bin/env bash
# Issue 2 end to end, portlight's own life: containers already running when
# it starts are announced; SIGTERM withdraws everything it announced
# (python3-zeroconf in netns B sees goodbyes, avahi-browse in A lists
# nothing) and exits 0; started again it announces the same names (no
# " #2"); SIGINT does the same as SIGTERM.  Also --help and --version.
# Host ports: the sandbox's block, P0 and P1 (pl_port).
set -euo pipefail
SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SOURCE_DIR/tests/integration/lib.sh"

T=_http._tcp
pl_init core_lifecycle
P0=$(pl_port 0) P1=$(pl_port 1)

[ -x "${PORTLIGHT_BIN:-}" ] || pl_die "PORTLIGHT_BIN=${PORTLIGHT_BIN:-} is not an executable"
# shellcheck disable=SC2317 # called through pl_check
version_ok() {
	local out
	out=$("$PORTLIGHT_BIN" --version </dev/null) && [[ "$out" =~ [0-9]+\.[0-9]+ ]]
}
# shellcheck disable=SC2317
help_ok() {
	local out
	out=$("$PORTLIGHT_BIN" --help </dev/null) && [[ "$out" == *--host* ]]
}
pl_check "portlight --version exits 0 and prints a version" version_ok
pl_check "portlight --help exits 0 and mentions --host" help_ok

pl_sandbox

# Two labelled containers before portlight runs.
pl_docker_httpd early -p "$P0:80" -l portlight.enable=true \
	-l portlight.name=Early -l portlight.txt.path=/early
pl_docker_httpd second -p "$P1:80" -l portlight.enable=true \
	-l portlight.name=Second -l portlight.type=http

t0=$(pl_now_ms)
pl_portlight_start -H "unix://$PL_DOCKER_SOCK"
if pl_mdns wait Early "$T" --port "$P0" --txt path=/early --timeout 15 \
	>"$PL_DIR/early.json"; then
	ms=$(($(pl_json "$PL_DIR/early.json" 'd["seen_at_ms"]') - t0))
	pl_pass "a container running before portlight started is announced (Early, port $P0, TXT path=/early; ${ms} ms after start)"
else
	pl_fail "Early (running before portlight started) not seen within 15 s"
fi
pl_check "Second (portlight.type=http means _http._tcp) announced on port $P1" \
	pl_mdns wait Second "$T" --port "$P1" --timeout 10

# SIGTERM: everything withdrawn, exit status 0.
declare -A observer
# Each observer is there and has seen its name before the stop.
for n in Early Second; do
	pl_mdns_bg "$PL_DIR/gone_$n.json" "$PL_DIR/gone_$n.err" \
		gone "$n" "$T" --timeout 20 --settle 10
	observer[$n]=$PL_MDNS_PID
done
t0=$(pl_now_ms)
if pl_portlight_stop TERM 10; then
	pl_pass "portlight exits within 10 s of SIGTERM"
else
	pl_fail "portlight still running 10 s after SIGTERM (killed)"
fi
pl_check "exit status after SIGTERM is 0 (got $PL_PORTLIGHT_STATUS)" \
	pl_portlight_status_is 0
for n in Early Second; do
	if wait "${observer[$n]}"; then
		ms=$(($(pl_json "$PL_DIR/gone_$n.json" 'd["gone_at_ms"]') - t0))
		pl_check "SIGTERM -> $n gone from B (${ms} ms), seen present before" \
			test "$(pl_json "$PL_DIR/gone_$n.json" 'd["was_present"]')" = True
	else
		pl_fail "$n still seen from B 20 s after SIGTERM"
	fi
done
pl_check "avahi-browse in A lists nothing of ours after SIGTERM" \
	pl_avahi_browse_lacks ';(Early|Second)' "$T"
pl_check "the containers still run (portlight only withdrew them)" \
	test "$(pl_docker ps -q | wc -l)" -eq 2

# Started again: the same names come back, not "Early #2".
pl_portlight_start -H "unix://$PL_DOCKER_SOCK"
pl_check "started again: Early announced under the same name" \
	pl_mdns wait Early "$T" --port "$P0" --timeout 15
pl_mdns browse "$T" --timeout 2 >"$PL_DIR/browse2.json"
pl_check "started again: exactly Early and Second, no renamed duplicates" \
	test "$(pl_json "$PL_DIR/browse2.json" 'sorted(s["name"] for s in d["services"])')" = '["Early", "Second"]'

# SIGINT behaves as SIGTERM.
pl_portlight_stop INT 10 || true
pl_check "exit status after SIGINT is 0 (got $PL_PORTLIGHT_STATUS)" \
	pl_portlight_status_is 0
pl_check "SIGINT -> Early gone" pl_mdns gone Early "$T" --timeout 10
pl_check "SIGINT -> Second gone" pl_mdns gone Second "$T" --timeout 10

pl_finish
