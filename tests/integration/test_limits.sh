#!/usr/bin/env bash
# Issue 5, tests 9, 7 and 8, end to end with portlight, real containers, a
# real avahi-daemon in A, a second one in C, zeroconf in B.
#
# Test 9, hostile labels and env (corpus.py): names of 64 bytes and of
# 100 KB, 63 bytes of UTF-8, invalid UTF-8 (dockerd keeps U+FFFD in its
# place: checked), control characters, an escaped NUL in a label key and
# value, 100 KB values, 1000 TXT keys, bad ports, types and subtypes.
# portlight stays up (and the ASan build reports nothing), each rejection
# is logged naming the container and the reason, and the valid parts of
# every container are announced: exactly the expected names are seen
# from B and in A, with their valid TXT.
#
# Test 7, another host already announces our instance name: netns C's
# avahi-daemon has "Clash" _http._tcp.  Ours is renamed once ("Clash
# #2"), the log says so, and it stays "Clash #2" across a re-inspect (a
# rename of the container), a SIGHUP, and a change of its records (an
# address added to A: its alias gets a new record, so a new entry group).
#
# Test 8, avahi-daemon restarted with objects-per-client-max=4 and
# entries-per-entry-group-max=8: of five one-service containers four are
# announced and the fifth is refused with an error naming it and
# objects-per-client-max; a container of ten entries is refused naming
# entries-per-entry-group-max; the refused ones hold no entry group.
# When one container stops, the refused one is announced.
#
# Containers use the host network and expose port 80 (no host ports).
# shellcheck disable=SC2317 # functions run through pl_check, pl_wait_for
set -euo pipefail
SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SOURCE_DIR/tests/integration/lib.sh"

T=_http._tcp
pl_init limits
pl_netns_up
pl_netns_c_up
pl_dbus_start
pl_avahi_start
mkdir -p "$PL_DIR/avahi-c/services"
pl_avahi_service_file "$PL_DIR/avahi-c/services" Clash "$T" 9999
pl_avahi_c_start "$PL_DIR/avahi-c/services"
pl_dockerd_start
pl_image_import

# ------------------------------------------------------------------ helpers

CMD='["sh","-c","trap '"'exit 0'"' TERM; sleep 100000 & wait"]'

# lm_create NAME FILE: create container NAME from the API body in FILE.
lm_create() {
	curl -sf -o /dev/null -X POST --unix-socket "$PL_DOCKER_SOCK" \
		-H 'Content-Type: application/json' --data-binary "@$2" \
		"http://d/v1.41/containers/create?name=$1"
}

# lm_run NAME LABELS-JSON: a container on the host network exposing 80.
lm_run() {
	printf '{"Image":"%s","Cmd":%s,"Labels":%s,"ExposedPorts":{"80/tcp":{}},"HostConfig":{"NetworkMode":"host"}}\n' \
		"$PL_IMAGE" "$CMD" "$2" >"$PL_DIR/$1.json"
	lm_create "$1" "$PL_DIR/$1.json" && pl_api POST "/containers/$1/start"
}

# lm_same FILE-A FILE-B: the two name lists are equal (else logs both).
lm_same() {
	cmp -s "$1" "$2" && return 0
	pl_log "names differ: $(diff "$1" "$2" | grep '^[<>]' | tr '\n' ' ')"
	return 1
}

# lm_logged CONTAINER REGEX: portlight logged a warning or error naming
# the container (by name) with REGEX after it.
lm_logged() {
	grep -Eq -- "portlight: (warn|error): docker: container [0-9a-f]{12} \($1\): $2" \
		"$PL_PORTLIGHT_LOG" || {
		pl_log "no log line for ($1): $2"
		return 1
	}
}

# lm_logged_all CONTAINER REGEX...: lm_logged for each REGEX.
lm_logged_all() {
	local c=$1 r rc=0
	shift
	for r in "$@"; do
		lm_logged "$c" "$r" || rc=1
	done
	return "$rc"
}

# lm_has FILE NAME / lm_lacks FILE NAME: NAME is (not) a line of FILE.
lm_has() {
	grep -qxF -- "$2" "$1"
}

lm_lacks() {
	! grep -qxF -- "$2" "$1"
}

lm_list_ok() {
	pl_portlight_run list -H "unix://$PL_DOCKER_SOCK" >"$PL_DIR/list.out" 2>&1 &&
		grep -q k0999 "$PL_DIR/list.out"
}

# ------------------------------------------------------------------ test 9

/usr/bin/python3 "$PL_LIB_DIR/corpus.py" "$PL_DIR/corpus" "$PL_IMAGE" \
	>"$PL_DIR/corpus.names" || pl_die "corpus.py failed"
mapfile -t corpus <"$PL_DIR/corpus.names"
for n in "${corpus[@]}"; do
	lm_create "$n" "$PL_DIR/corpus/$n.json" ||
		pl_die "dockerd refused to create corpus container $n"
done
pl_portlight_start -H "unix://$PL_DOCKER_SOCK"
t0=$SECONDS
for n in "${corpus[@]}"; do
	pl_api POST "/containers/$n/start" || pl_die "cannot start $n"
done
pl_log "${#corpus[@]} corpus containers started in $((SECONDS - t0)) s"

# What dockerd itself made of invalid UTF-8: U+FFFD (it never reaches us).
pl_check "dockerd stores invalid UTF-8 in a label as U+FFFD (h-utf8's name reads \"Bad\\ufffd\\ufffdName\")" \
	test "$(pl_docker inspect -f '{{index .Config.Labels "portlight.name"}}' h-utf8)" = \
	"Bad$(printf '\357\277\275\357\277\275')Name"

euro=$(printf '\342\202\254%.0s' $(seq 21))
fffd=$(printf '\357\277\275')
# C's Clash (test 7) is on the link from the start.
printf '%s\n' "Bad${fffd}${fffd}Name" Clash NulShop Ports h-big h-ctl h-long \
	h-many "$euro" | /usr/bin/python3 -c '
import sys
print("\n".join(sorted(l.rstrip("\n") for l in sys.stdin)))' >"$PL_DIR/expected9"

pl_check "h-long: a 64-byte name falls back to the container name, TXT ok=1" \
	pl_mdns wait h-long "$T" --port 80 --txt ok=1 --timeout 15
pl_check "h-63: a 63-byte UTF-8 name (21 x U+20AC) is announced as it is" \
	pl_mdns wait "$euro" "$T" --port 80 --txt ok=1 --timeout 10
pl_check "h-utf8: announced under dockerd's U+FFFD name, TXT val=U+FFFD x3, ok=1" \
	pl_mdns wait "Bad${fffd}${fffd}Name" "$T" --port 80 --txt ok=1 \
	--txt "val=$fffd$fffd$fffd" --timeout 10
pl_check "h-ctl: a name with a tab falls back to the container name; TXT nl has its newline" \
	pl_mdns wait h-ctl "$T" --port 80 --txt ok=1 --txt "nl=line1
line2" --timeout 10
pl_check "h-ctl: its valid alias ctlok.local resolves from B" \
	pl_mdns resolve ctlok --timeout 10
pl_check "h-nul: announced as NulShop (its hidden \"portlight.name\\u0000x\" does not replace it), TXT nul=a U+FFFD b" \
	pl_mdns wait NulShop "$T" --port 80 --txt ok=1 --txt "nul=a${fffd}b" \
	--timeout 10
pl_check "h-big: 100 KB values refused, announced as h-big with TXT ok=1" \
	pl_mdns wait h-big "$T" --port 80 --txt ok=1 --timeout 10
if pl_mdns wait h-many "$T" --port 80 --txt k0000=v0 --timeout 10 \
	>"$PL_DIR/many.json"; then
	# shellcheck disable=SC2016
	bytes=$(pl_json "$PL_DIR/many.json" \
		'sum(1 + len(k.encode()) + 1 + len(v.encode()) for k, v in d["txt"].items())')
	keys=$(pl_json "$PL_DIR/many.json" 'len(d["txt"])')
	pl_check "h-many: 1000 TXT keys: the first $keys announced, $bytes bytes of TXT (at most 1300), k0999 left out" \
		test "$bytes" -le 1300 -a "$keys" -gt 100 -a \
		"$(pl_json "$PL_DIR/many.json" '"k0999" in d["txt"]')" = False
else
	pl_fail "h-many not seen with TXT k0000=v0"
fi
pl_check "h-ports: port 80 announced as Ports, TXT ok=1, subtypes ok and also-ok" \
	pl_mdns wait Ports "$T" --port 80 --txt ok=1 --subtype _ok \
	--subtype _also-ok --timeout 10

sleep 1 # probing of the last ones
pl_mdns_names "$T" >"$PL_DIR/seen9-b"
pl_check "zeroconf in B sees exactly the 8 valid names and C's Clash (no Evil, no fallback duplicates)" \
	lm_same "$PL_DIR/expected9" "$PL_DIR/seen9-b"
pl_avahi_names "$T" >"$PL_DIR/seen9-a"
pl_check "avahi-browse in A lists exactly the same names" \
	lm_same "$PL_DIR/expected9" "$PL_DIR/seen9-a"

# Each rejection is logged, naming the container and the reason.
pl_check "logged: h-long's name is over 63 bytes" \
	lm_logged h-long 'label portlight.name: name longer than 63 bytes'
pl_check "logged: h-utf8's TXT key is not printable ASCII" \
	lm_logged h-utf8 'label portlight.txt.k\?\?\?: TXT key is not printable ASCII'
pl_check "logged: h-ctl's name has a control character" \
	lm_logged h-ctl 'label portlight.name: name contains a control character'
pl_check "logged: h-ctl's alias with BEL is refused (shown as ?)" \
	lm_logged h-ctl 'label portlight.alias: alias "ctl\?host": host name is not'
pl_check "logged: h-ctl's TXT key with \\x01 is refused" \
	lm_logged h-ctl 'label portlight.txt.k\?: TXT key is not printable ASCII'
pl_check "logged: h-big's 100 KB name, TXT pair, type, alias and env, each cut short in the log" \
	lm_logged_all h-big \
	'label portlight.name: name longer than 63 bytes' \
	'label portlight.txt.big: key=value is 102404 bytes, over the limit of 255' \
	'label portlight.type: "_t+\.\.\.": type is not' \
	'label portlight.alias: alias "a+\.\.\.": host name longer than 63' \
	'env PORTLIGHT_ANNOUNCE: spec "y+\.\.\."'
pl_check "logged: each of h-many's left-out TXT pairs, k0999 included" \
	lm_logged h-many 'label portlight.txt.k0999: the TXT record would exceed 1300 bytes'
many_left=$(pl_portlight_log_count '\(h-many\): label portlight.txt.k[0-9]{4}: the TXT record would exceed')
pl_check "logged: h-many: one line per left-out pair ($many_left), $keys + $many_left = 1000" \
	test "$((keys + many_left))" -eq 1000
pl_check "logged: h-ports' bad ports 99999, abc, 0, -1, 80/sctp, 65536" \
	lm_logged_all h-ports \
	'label portlight.port: "99999": port is not 1-65535' \
	'label portlight.port: "abc": port is not a number' \
	'label portlight.port: "0": port is not 1-65535' \
	'label portlight.port: "-1": port is not a number' \
	'label portlight.port: "80/sctp": port is not a number' \
	'label portlight.service.x.port: "65536": port is not 1-65535'
pl_check "logged: h-ports' bad types and subtype" \
	lm_logged_all h-ports \
	'label portlight.type: "_toolongservicename._tcp": service name is not 1-15 characters' \
	'label portlight.service.x.type: "_Bad_Type._xyz": protocol is not _tcp or _udp' \
	'label portlight.subtypes: "b@d": subtype is not'
pl_check "logged: h-ports' bad PORTLIGHT_ANNOUNCE specs" \
	lm_logged_all h-ports \
	'env PORTLIGHT_ANNOUNCE: spec "Env=http:99999": port is not 1-65535' \
	'env PORTLIGHT_ANNOUNCE: spec "http:abc": port is not a number'
pl_check "portlight list reads the corpus too (exit 0, h-many's skips listed)" \
	lm_list_ok
pl_check "portlight is still running" pl_portlight_alive

# ------------------------------------------------------------------ test 7

pl_check "netns C's avahi-daemon announces Clash (port 9999), seen from B" \
	pl_mdns wait Clash "$T" --port 9999 --timeout 15
lm_run clash '{"portlight.name":"Clash","portlight.alias":"clashhost"}' ||
	pl_die "cannot start container clash"
pl_check "ours is renamed: \"Clash #2\" on port 80, seen from B" \
	pl_mdns wait "Clash #2" "$T" --port 80 --timeout 15
pl_check "the rename is logged, naming the container" \
	lm_logged clash 'name "Clash" is taken on the network, now "Clash #2"'
pl_check "C's Clash is still there on port 9999" \
	pl_mdns wait Clash "$T" --port 9999 --timeout 5

# A re-inspect with the same records (a rename of the container), then a
# SIGHUP, then a real change: a new address in A gives the alias a new
# address record, so the records are published in a new entry group.
pl_api POST "/containers/clash/rename?name=clash2"
sleep 2
kill -HUP "$PL_PORTLIGHT_PID"
sleep 2
ip -n "$PL_NS_A" addr add "$PL_NET.9/24" dev "$PL_VETH_A"
kill -HUP "$PL_PORTLIGHT_PID"
pl_check "after a change of its records the alias resolves to the new address $PL_NET.9" \
	pl_wait_for 15 pl_mdns_resolves clashhost "$PL_NET.9"
pl_check "the new records were committed in a new group (logged)" \
	pl_wait_for 5 pl_portlight_log_has '\(clash2\): committed'
sleep 3 # a collision of the new group would show by now
pl_mdns_names "$T" 4 >"$PL_DIR/seen7-b"
pl_log "$T seen from B: $(tr '\n' ',' <"$PL_DIR/seen7-b")"
pl_check "still \"Clash #2\"" lm_has "$PL_DIR/seen7-b" "Clash #2"
pl_check "no \"Clash #3\"" lm_lacks "$PL_DIR/seen7-b" "Clash #3"
pl_check "renamed exactly once in the log" pl_portlight_log_count_is 'is taken on the network' 1
pl_avahi_names "$T" >"$PL_DIR/seen7-a"
pl_check "avahi-browse in A: ours \"Clash #2\"" lm_has "$PL_DIR/seen7-a" "Clash #2"
pl_check "avahi-browse in A: C's \"Clash\"" lm_has "$PL_DIR/seen7-a" Clash

# ------------------------------------------------------------------ test 8

# Only test 8's containers from here: the others go (in parallel).
pids=()
for n in "${corpus[@]}" clash2; do
	pl_api DELETE "/containers/$n?force=1" &
	pids+=($!)
done
wait "${pids[@]}" || true
pl_avahi_stop
pl_avahi_start "objects-per-client-max=4
entries-per-entry-group-max=8"
# One service and nine subtypes: ten entries.  First, while there is room
# for its entry group: it is refused for its own size.
lm_run fat '{"portlight.name":"Fat","portlight.subtypes":"s1,s2,s3,s4,s5,s6,s7,s8,s9"}' ||
	pl_die "cannot start fat"
pl_check "Fat (ten entries) is refused, logged naming it and entries-per-entry-group-max" \
	pl_wait_for 20 lm_logged fat '.*avahi-daemon refused it: Too many entries \(its entries-per-entry-group-max limit\); not announcing it until room frees up'
for i in 1 2 3 4 5; do
	lm_run "q$i" "{\"portlight.name\":\"Q$i\"}" || pl_die "cannot start q$i"
done
pl_check "the fifth container is refused, logged naming it and objects-per-client-max" \
	pl_wait_for 20 lm_logged 'q[1-5]' 'entry group: avahi-daemon refused it: Too many objects \(its objects-per-client-max limit\); not announcing it until room frees up'
refused=$(grep -m1 -Eo '\(q[1-5]\): entry group: avahi-daemon refused it: Too many objects' \
	"$PL_PORTLIGHT_LOG" | cut -c2-3)
pl_log "refused for objects-per-client-max: ${refused:-none}"
announced=()
for i in 1 2 3 4 5; do
	[ "q$i" = "$refused" ] || announced+=("Q$i")
done
ok=true
for n in "${announced[@]}"; do
	pl_mdns wait "$n" "$T" --port 80 --timeout 10 >/dev/null || ok=false
done
pl_check "the other four (${announced[*]}) are announced" $ok
pl_mdns_names "$T" >"$PL_DIR/seen8-b"
pl_check "zeroconf in B sees exactly those four and C's Clash (not ${refused^^}, not Fat)" \
	test "$(tr '\n' ' ' <"$PL_DIR/seen8-b")" = "Clash ${announced[*]} "
pl_avahi_groups 8 >"$PL_DIR/groups"
pl_log "entry groups: $(tr '\n' ' ' <"$PL_DIR/groups")"
pl_check "avahi-daemon holds 4 entry groups, one client (the refused hold none)" \
	test "$(awk '{ n++; s += $2 } END { print n " " s }' "$PL_DIR/groups")" = "1 4"

# Room frees up: the refused one is announced.
gone=${announced[0],,}
pl_api POST "/containers/$gone/stop?t=2"
pl_check "${announced[0]} stopped: the refused ${refused^^} is announced now" \
	pl_mdns wait "${refused^^}" "$T" --port 80 --timeout 15
pl_check "${announced[0]} is withdrawn" \
	pl_mdns gone "${announced[0]}" "$T" --timeout 10
pl_check "Fat, refused for its own size, is reported once, not again on each retry" \
	pl_portlight_log_count_is 'error: .*\(fat\): .*Too many entries' 1

pl_check "portlight is still running" pl_portlight_alive
pl_portlight_stop TERM 20 || true
pl_check "SIGTERM: portlight exits 0 (status $PL_PORTLIGHT_STATUS)" \
	pl_portlight_status_is 0
pl_check_not "no sanitizer report (LeakSanitizer at exit included)" \
	pl_sanitizer_report "$PL_DIR"/portlight.*.log
pl_finish
