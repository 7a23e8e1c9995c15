#!/usr/bin/env bash
# Issue 3 end to end, the announcement model: a compose-like set of
# labelled containers on a real dockerd, portlight and avahi-daemon in
# netns A, python3-zeroconf in netns B checking what went on the wire.
#   - portlight.* labels: name, full and bare types, portlight.port
#     leaving a published port out, txt.KEY, subtypes (browsable from B),
#     aliases, two services in one container (portlight.service.ID.*),
#     env PORTLIGHT_ANNOUNCE;
#   - compose labels (replica 2 of a scaled service is "web-2"),
#     homepage.name and homepage.href's path as TXT path=;
#   - portlight.enable=false wins; koi.enable=false turns koi.* off even
#     when a portlight label opts the container in;
#   - peers' conventions: koi.* labels, env KOI_MDNS_ANNOUNCE,
#     docker-mdns.enable + docker-mdns.host, traefik.enable + a router rule
#     with Host(`x.local`);
#   - addresses: the 0.0.0.0 and :: bindings of one port are one service;
#     a port bound to one address of A's veth is announced and its
#     container's alias resolves to that address only; a loopback binding
#     never is; aliases never resolve to a container bridge's address;
#   - a container with partly invalid labels: the valid parts are
#     announced, each invalid one is logged naming container, label and
#     reason;
#   - container-address mode: a container on a macvlan network and the
#     default bridge, publishing nothing, is announced at its macvlan
#     address under its alias (never its bridge address);
#   - a podman-compose container on a rootful Podman service
#     (io.podman.compose.service names it), beside dockerd;
#   - `portlight list --json` in A reports exactly what B saw (services,
#     ports, TXT, subtypes, aliases) and the skips with their reasons.
# Host ports: the sandbox's block P0..P9 (pl_port).  P9 is bound on five
# extra addresses of A's veth and on loopback: a binding to a specific
# address does not clash with another address's binding of the port.
# shellcheck disable=SC2317 # functions run through pl_check
set -euo pipefail
SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SOURCE_DIR/tests/integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib-podman.sh
. "$SOURCE_DIR/tests/integration/lib-podman.sh"

T=_http._tcp
pl_init model
P0=$(pl_port 0) P1=$(pl_port 1) P2=$(pl_port 2) P3=$(pl_port 3)
P4=$(pl_port 4) P5=$(pl_port 5) P6=$(pl_port 6) P7=$(pl_port 7)
P8=$(pl_port 8) P9=$(pl_port 9)
# Unique per build folder, as the sandbox.
plp_init "model${PL_TAG:0:6}"
trap 'rc=$?; set +e; plp_cleanup; (exit $rc); pl_on_exit' EXIT
pl_sandbox
plp_rootful_start
plp_import "$PLP_ROOTFUL_SOCK"

# Five more addresses of A's veth, for bindings to a specific address.
# dockerd (and its userland proxy) live in the root namespace, so the
# addresses are held there too, on the sandbox's own bridge (removed with
# it at exit); portlight, in A, finds them on the veth.
IP77=$PL_NET.77
IP78=$PL_NET.78
IP79=$PL_NET.79
IP80=$PL_NET.80
IP81=$PL_NET.81
for ip in "$IP77" "$IP78" "$IP79" "$IP80" "$IP81"; do
	ip addr add "$ip/32" dev "$PL_BRIDGE"
	ip -n "$PL_NS_A" addr add "$ip/24" dev "$PL_VETH_A"
done
pl_portlight_start -H "unix://$PL_DOCKER_SOCK" -H "unix://$PLP_ROOTFUL_SOCK"

# ctr NAME "PORT..." DOCKER-RUN-ARGS...: busybox httpd on each container
# port; the shell (PID 1) ends on SIGTERM.  Started in the background,
# all at once (ctr_wait waits for them).
CTR_PIDS=()
ctr() {
	local name=$1 ports=$2 p cmd='trap "exit 0" TERM;'
	shift 2
	for p in $ports; do
		cmd+=" httpd -p $p -h /www;"
	done
	pl_docker run -d --name "$name" "$@" "$PL_IMAGE" \
		sh -c "$cmd sleep 100000 & wait" >/dev/null &
	CTR_PIDS+=("$!")
}

ctr_wait() {
	local pid
	for pid in "${CTR_PIDS[@]}"; do
		wait "$pid" || pl_die "a container did not start (see above)"
	done
}

# --- the containers ------------------------------------------------------
# Grafana: two services in one container, port 22 left out by
# portlight.port, subtypes, aliases; 0.0.0.0 and :: bindings of P0.
ctr grafana "80 8080 22" -p "$P0:80" -p "$P1:8080" -p "$IP78:$P9:22" \
	-l portlight.name=Grafana -l portlight.port=80 \
	-l portlight.txt.path=/ -l portlight.txt.Version=10 \
	-l portlight.subtypes=_printer,dash \
	-l portlight.alias=grafana,Dash.local \
	-l portlight.service.metrics.port=8080 \
	-l "portlight.service.metrics.name=Grafana metrics" \
	-l portlight.service.metrics.type=http \
	-l portlight.service.metrics.txt.path=/metrics \
	-l portlight.service.metrics.subtypes=prom
# The environment alone: a named spec with a bare type, one with a full.
ctr envapp "80 22" -p "$P2:80" -p "$P3:22" \
	-e 'PORTLIGHT_ANNOUNCE=Envy=http:80;_ssh._tcp:22'
# Replica 2 of compose service web, with partly invalid labels.  The
# engine lists labels sorted by key: GOOD comes first and wins over good.
long=$(printf 'N%.0s' $(seq 64))
ctr shop-web-2 80 -p "$P4:80" \
	-l com.docker.compose.project=shop \
	-l com.docker.compose.service=web \
	-l com.docker.compose.container-number=2 \
	-l portlight.enable=maybe \
	-l "portlight.name=$long" \
	-l portlight.type=_waytoolongservicename._tcp \
	-l portlight.port=80,99999 \
	-l portlight.txt.good=no -l 'portlight.txt.bäd=x' \
	-l portlight.txt.GOOD=yes \
	-l 'portlight.subtypes=fine,b@d' \
	-l portlight.alias=ok-alias,Bad_Alias \
	-l 'portlight.service.bad!.port=80' \
	-l homepage.href=http://shop.example/admin/
# koi's labels, and koi's environment variable.
ctr koi 80 -p "$P5:80" -l koi.enable=true -l 'koi.name=Koi Web' \
	-l koi.type=http -l koi.txt.via=koi
ctr koienv 80 -p "$P6:80" -e KOI_MDNS_ANNOUNCE=KoiEnv
# koi switched off, opted in by portlight: announced by container name.
ctr koioff 80 -p "$IP80:$P9:80" -l koi.enable=false -l koi.name=KoiName \
	-l koi.txt.via=koi -l portlight.enable=true
# Opted out: never announced, whatever else it says.
ctr hidden 80 -p "$IP81:$P9:80" -l portlight.enable=false \
	-l portlight.name=Hidden -e KOI_MDNS_ANNOUNCE=Hidden
# docker-mdns's labels (names become aliases); homepage.name.
ctr dmdns 80 -p "$P7:80" -l docker-mdns.enable=true \
	-l 'docker-mdns.host=dm1 DM2.local' -l 'homepage.name=Home Page' \
	-l homepage.href=https://nas.example/dash
# Traefik: only the .local host of the rule becomes an alias.
# shellcheck disable=SC2016 # the backquotes are Traefik's
ctr trf 80 -p "$P8:80" -l traefik.enable=true \
	-l 'traefik.http.routers.tr.rule=Host(`tr.local`) || Host(`tr.example.com`)'
# One specific address of A's veth, and loopback.
ctr bound 80 -p "$IP77:$P9:80" -p "127.0.0.1:$P9:80" \
	-l portlight.name=Bound -l portlight.type=_http._tcp \
	-l portlight.alias=bound
# Its own address on a macvlan network (on the sandbox's bridge), and
# one on the default bridge that must never be published.
MV=198.18.$((16#${PL_TAG:0:2})).53
pl_docker network create -d macvlan --subnet "${MV%.*}.0/24" \
	-o parent="$PL_BRIDGE" plmv >/dev/null
(
	pl_docker create --name pihole --network plmv --ip "$MV" --expose 80 \
		-l 'portlight.name=Pi Hole' -l portlight.alias=pihole \
		"$PL_IMAGE" sh -c 'trap "exit 0" TERM; httpd -f -p 80 -h /www & wait' \
		>/dev/null &&
		pl_docker network connect bridge pihole &&
		pl_docker start pihole >/dev/null
) &
CTR_PIDS+=("$!")
# podman-compose's labels, on the rootful Podman service.
plp_podman "$PLP_ROOTFUL_SOCK" run -d --name shop_api_1 \
	-p "$IP79:$P9:80" -l io.podman.compose.project=shop \
	-l io.podman.compose.service=api -l portlight.enable=true \
	"$PLP_IMAGE" /bin/busybox httpd -f -p 80 >/dev/null &
CTR_PIDS+=("$!")
ctr_wait
pl_log "containers started"

ports=$(pl_docker inspect -f '{{json .NetworkSettings.Ports}}' grafana)
pl_log "grafana's bindings: $ports"
if grep -q '"HostIp":"::","HostPort":"'"$P0"'"' <<<"$ports"; then
	V6=1
else
	V6=
	pl_log "dockerd made no :: binding of $P0: the one-service-for-IPv4+IPv6 check is only of IPv4"
fi

# --- what B sees ---------------------------------------------------------
SNAP=$PL_DIR/wire.json
want='[["Bound", "_http._tcp.local."], ["Envy", "_http._tcp.local."], ["Grafana", "_http._tcp.local."], ["Grafana metrics", "_http._tcp.local."], ["Home Page", "_http._tcp.local."], ["Koi Web", "_http._tcp.local."], ["KoiEnv", "_http._tcp.local."], ["Pi Hole", "_http._tcp.local."], ["api", "_http._tcp.local."], ["envapp", "_ssh._tcp.local."], ["koioff", "_http._tcp.local."], ["trf", "_http._tcp.local."], ["web-2", "_http._tcp.local."]]'
wire_names() {
	pl_json "$SNAP" 'sorted([s["name"], s["type"]] for s in d["services"])'
}
# Every type on the network, resolved, with the subtypes of interest; a
# few rounds, as the containers started together are still probing.
for round in 1 2 3 4; do
	pl_mdns browse '*' --timeout 4 --subtype _printer --subtype _dash \
		--subtype _prom --subtype _fine --subtype _bad >"$SNAP"
	[ "$(wire_names)" != "$want" ] || break
	pl_log "round $round: B sees $(wire_names)"
done
pl_log "seen from B: $(pl_json "$SNAP" '[(s["name"], s["type"], s["port"], s["txt"], s["subtypes"]) for s in d["services"]]')"

# on_wire NAME TYPE PORT TXT-JSON SUBTYPES-JSON [SERVER]: B saw exactly
# one NAME of TYPE, on PORT, with exactly that TXT, found it in those
# subtypes, and (if given) its SRV target is SERVER.local.
on_wire() {
	/usr/bin/python3 - "$SNAP" "$@" <<-'EOF'
		import json, sys
		d = json.load(open(sys.argv[1]))
		name, typ, port = sys.argv[2], sys.argv[3] + ".local.", int(sys.argv[4])
		txt, subs = json.loads(sys.argv[5]), json.loads(sys.argv[6])
		server = sys.argv[7] + ".local." if len(sys.argv) > 7 else None
		m = [s for s in d["services"] if s["name"] == name and s["type"] == typ]
		why = []
		if len(m) != 1:
		    why.append("%d instances" % len(m))
		else:
		    s = m[0]
		    if s["port"] != port:
		        why.append("port %s" % s["port"])
		    if s["txt"] != txt:
		        why.append("TXT %s" % s["txt"])
		    if sorted(s["subtypes"]) != sorted(subs):
		        why.append("subtypes %s" % s["subtypes"])
		    if server is not None and s["server"] != server:
		        why.append("server %s" % s["server"])
		if why:
		    sys.stderr.write("%s %s: %s\n" % (name, typ, "; ".join(why)))
		sys.exit(1 if why else 0)
	EOF
}

pl_check "Grafana: $T port $P0, TXT path=/ Version=10, subtypes _printer _dash" \
	on_wire Grafana "$T" "$P0" '{"path": "/", "Version": "10"}' '["_dash", "_printer"]'
pl_check "Grafana metrics (service.metrics, bare type http): port $P1, TXT path=/metrics, subtype _prom" \
	on_wire "Grafana metrics" "$T" "$P1" '{"path": "/metrics"}' '["_prom"]'
pl_check "Envy (PORTLIGHT_ANNOUNCE Envy=http:80): port $P2, no TXT" \
	on_wire Envy "$T" "$P2" '{}' '[]'
pl_check "envapp (PORTLIGHT_ANNOUNCE _ssh._tcp:22): _ssh._tcp port $P3" \
	on_wire envapp _ssh._tcp "$P3" '{}' '[]'
pl_check "web-2 (compose replica 2, invalid parts left out): port $P4, TXT GOOD=yes path=/admin/, subtype _fine" \
	on_wire web-2 "$T" "$P4" '{"GOOD": "yes", "path": "/admin/"}' '["_fine"]'
pl_check "Koi Web (koi.name, koi.type=http, koi.txt.via): port $P5, TXT via=koi" \
	on_wire "Koi Web" "$T" "$P5" '{"via": "koi"}' '[]'
pl_check "KoiEnv (env KOI_MDNS_ANNOUNCE): port $P6" \
	on_wire KoiEnv "$T" "$P6" '{}' '[]'
pl_check "Home Page (homepage.name, docker-mdns): port $P7, TXT path=/dash" \
	on_wire "Home Page" "$T" "$P7" '{"path": "/dash"}' '[]'
pl_check "trf (traefik): port $P8" on_wire trf "$T" "$P8" '{}' '[]'
pl_check "Bound ($IP77:$P9): port $P9" on_wire Bound "$T" "$P9" '{}' '[]'
pl_check "Pi Hole (container-address mode): port 80 at pihole.local" \
	on_wire "Pi Hole" "$T" 80 '{}' '[]' pihole
pl_check "koioff (koi.enable=false: koi.name and koi.txt unread): port $P9" \
	on_wire koioff "$T" "$P9" '{}' '[]'
pl_check "api (Podman, io.podman.compose.service, $IP79:$P9): port $P9" \
	on_wire api "$T" "$P9" '{}' '[]'
pl_check "these and nothing else on the wire (no Grafana on 22, no loopback port, no second Grafana for ::)" \
	test "$(wire_names)" = "$want"
if [ -n "$V6" ]; then
	pl_pass "dockerd bound $P0 on 0.0.0.0 and ::, and B saw one Grafana"
fi

# --- aliases --------------------------------------------------------------
# What A's veth holds: every address an alias may resolve to.
mapfile -t veth_addrs < <(ip -n "$PL_NS_A" -o addr show dev "$PL_VETH_A" |
	awk '{ sub("/.*", "", $4); print $4 }' | sort)
pl_log "A's veth holds ${veth_addrs[*]}"

# Every alias at once: {HOST: [addresses]}.
ALIASES=$PL_DIR/aliases.json
pl_mdns resolve grafana dash ok-alias dm1 dm2 tr bound pihole --timeout 10 \
	--settle 1 >"$ALIASES" || true
pl_log "aliases from B: $(cat "$ALIASES")"
alias_addrs() {
	pl_json "$ALIASES" "'\\n'.join(d[\"$1\"])"
}
# resolves_to HOST all|ADDR: B resolved HOST.local to A's veth addresses
# only (all: at least A's main one; else exactly ADDR).
resolves_to() {
	local host=$1 want=$2 got a
	got=$(alias_addrs "$host")
	[ -n "$got" ] || return 1
	for a in $got; do
		[[ " ${veth_addrs[*]} " == *" $a "* ]] || {
			pl_log "$host.local: $a is not an address of A's veth"
			return 1
		}
	done
	if [ "$want" = all ]; then
		grep -qxF "$PL_IP_A" <<<"$got"
	else
		[ "$got" = "$want" ]
	fi
}
for h in grafana dash ok-alias dm1 dm2 tr; do
	pl_check "$h.local resolves from B to A's veth addresses (none of a container bridge)" \
		resolves_to "$h" all
done
pl_check "bound.local resolves to $IP77 only (its one service is bound there)" \
	resolves_to bound "$IP77"
pl_check "pihole.local resolves to its macvlan address $MV only (not its bridge one)" \
	test "$(alias_addrs pihole)" = "$MV"
pl_check_not "Bad_Alias is not a host name" \
	pl_mdns resolve bad_alias --timeout 2

# --- avahi-daemon's own view ---------------------------------------------
AB=$PL_DIR/avahi-browse.txt
pl_avahi_browse "$T" >"$AB" || true
pl_log "avahi-browse $T: $(grep -E ';(Grafana|Bound|api);' "$AB" | tr '\n' ' ')"
# avahi_has REGEX: the captured view has a matching line.
avahi_has() {
	grep -Eq -- "$1" "$AB"
}
pl_check "avahi-browse in A: Grafana on $P0 with its TXT" \
	avahi_has "^=;$PL_VETH_A;IPv4;Grafana;[^;]*;local;$PL_HOSTNAME\\.local;[^;]*;$P0;.*\"path=/\""
pl_check "avahi-browse in A: Bound and api on $P9" \
	avahi_has "^=;$PL_VETH_A;IPv4;(Bound|api);[^;]*;local;$PL_HOSTNAME\\.local;[^;]*;$P9;"
# Bound and api are bound to IPv4 addresses only: not offered over IPv6
# mDNS, where a client would be given the host's IPv6 addresses.
pl_check_not "avahi-browse in A: neither Bound nor api over IPv6" \
	avahi_has "^[+=];$PL_VETH_A;IPv6;(Bound|api);"
if [ -n "$V6" ]; then
	pl_check "avahi-browse in A: Grafana (0.0.0.0 and ::) over IPv6 too" \
		avahi_has "^=;$PL_VETH_A;IPv6;Grafana;[^;]*;local;[^;]*;[^;]*;$P0;"
fi
pl_check "avahi-browse in A: Grafana in subtype _printer._sub.$T" \
	pl_avahi_browse_has "^=;$PL_VETH_A;IPv4;Grafana;" "_printer._sub.$T"

# --- the log: each invalid label named with its container ---------------
web2=$(pl_docker inspect -f '{{.Id}}' shop-web-2)
web2=${web2:0:12}
for item in 'label portlight\.enable: "maybe"' 'label portlight\.name: ' \
	'label portlight\.type: "_waytoolongservicename\._tcp"' \
	'label portlight\.port: "99999"' 'label portlight\.txt\.b\?\?d: ' \
	'label portlight\.txt\.good: duplicate TXT key "good"' 'label portlight\.subtypes: "b@d"' \
	'label portlight\.alias: alias "Bad_Alias"' \
	'label portlight\.service\.bad!\.port: '; do
	pl_check "the log: container $web2 (shop-web-2): ${item//\\/}..." \
		pl_portlight_log_has "container $web2 \\(shop-web-2\\): $item.*, skipping"
done
bound=$(pl_docker inspect -f '{{.Id}}' bound)
pl_check "the log: container bound: port 80/tcp: bound to loopback" \
	pl_portlight_log_has "container ${bound:0:12} \\(bound\\): port 80/tcp: bound to loopback"

# --- portlight list --json against the wire ------------------------------
LIST=$PL_DIR/list.json
if pl_portlight_run list --json -H "unix://$PL_DOCKER_SOCK" \
	-H "unix://$PLP_ROOTFUL_SOCK" >"$LIST" \
	2>"$PL_DIR/list.err"; then
	pl_pass "portlight list --json ran in A"
else
	pl_fail "portlight list --json failed: $(cat "$PL_DIR/list.err")"
fi
pl_log "list: $(cat "$LIST")"
# Every service list reports is on the wire as it says, and nothing is on
# the wire that list does not report.
pl_check "list's services are exactly B's (name, type, port, TXT, subtypes)" \
	/usr/bin/python3 - "$LIST" "$SNAP" <<-'EOF'
		import json, sys
		lst, wire = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
		seen = {(s["name"], s["type"][:-len(".local.")]): s for s in wire["services"]}
		listed, bad = set(), []
		for c in lst["containers"]:
		    for s in c["services"]:
		        k = (s["name"], s["type"])
		        listed.add(k)
		        w = seen.get(k)
		        subs = sorted(x.split("._sub.")[0] for x in s["subtypes"])
		        if w is None:
		            bad.append("%s not on the wire" % (k,))
		        elif (w["port"], w["txt"], sorted(w["subtypes"])) != (s["port"], s["txt"], subs):
		            bad.append("%s: list %s %s %s, wire %s %s %s" % (k, s["port"],
		                s["txt"], subs, w["port"], w["txt"], w["subtypes"]))
		for k in set(seen) - listed:
		    bad.append("%s on the wire, not in list" % (k,))
		for b in bad:
		    sys.stderr.write(b + "\n")
		sys.exit(1 if bad else 0)
	EOF
pl_check "list: shop_api_1 is Podman's, the others Docker's" \
	test "$(pl_json "$LIST" 'sorted(set((c["engine"], c["name"] == "shop_api_1") for c in d["containers"]))')" = \
	'[["docker", false], ["podman", true]]'
pl_check "list's aliases are the ones B resolved" \
	test "$(pl_json "$LIST" 'sorted(a for c in d["containers"] for a in c["aliases"])')" = \
	'["bound", "dash", "dm1", "dm2", "grafana", "ok-alias", "pihole", "tr"]'
# The skips, by container: every one expected, and no other.
pl_check "list's skips: each invalid label of shop-web-2, bound's loopback port, pihole's bridge network, hidden opted out, with reasons; none elsewhere" \
	/usr/bin/python3 - "$LIST" <<-'EOF'
		import json, re, sys
		lst = json.load(open(sys.argv[1]))
		want = {
		    "shop-web-2": [
		        ("label portlight.enable", r'^"maybe" is not true/yes/1 or false/no/0: ignored$'),
		        ("label portlight.name", r"using the next name$"),
		        ("label portlight.type", r'^"_waytoolongservicename\._tcp": .'),
		        ("label portlight.port", r'^"99999": .'),
		        ("label portlight.txt.b??d", r"."),
		        ("label portlight.txt.good", r'^duplicate TXT key "good": the first one wins$'),
		        ("label portlight.subtypes", r'^"b@d": .'),
		        ("label portlight.alias", r'^alias "Bad_Alias": .'),
		        ("label portlight.service.bad!.port", r"^not portlight\.service\.ID\.FIELD"),
		    ],
		    "bound": [("port 80/tcp", r"^bound to loopback$")],
		    "pihole": [("network bridge", r"^not macvlan or ipvlan: its address is not published$")],
		    "hidden": [("container", r"^opted out by portlight\.enable$")],
		}
		bad = []
		for c in lst["containers"]:
		    got = [(s["item"], s["reason"]) for s in c["skipped"]]
		    exp = want.get(c["name"], [])
		    for item, rx in exp:
		        if not any(i == item and re.search(rx, r) for i, r in got):
		            bad.append("%s: no skip %s ~ %s" % (c["name"], item, rx))
		    for i, r in got:
		        if not any(i == item and re.search(rx, r) for item, rx in exp):
		            bad.append("%s: unexpected skip %s: %s" % (c["name"], i, r))
		for b in bad:
		    sys.stderr.write(b + "\n")
		sys.exit(1 if bad else 0)
	EOF

# The same as text, for people.
TEXT=$PL_DIR/list.txt
pl_portlight_run list -H "unix://$PL_DOCKER_SOCK" \
	-H "unix://$PLP_ROOTFUL_SOCK" >"$TEXT" 2>&1 || true
pl_check "list (text): Bound on $P9 on $PL_VETH_A, its alias, its loopback skip" \
	grep -Pzq "docker [0-9a-f]{12} bound\n    service  \"Bound\" _http._tcp port $P9 on $PL_VETH_A\n    alias    bound\.local\n    skipped  port 80/tcp: bound to loopback\n" "$TEXT"
pl_check "list (text): Pi Hole at pihole.local" \
	grep -q "^    service  \"Pi Hole\" _http._tcp port 80 at pihole\.local$" "$TEXT"

pl_check "portlight still running" pl_portlight_alive
pl_portlight_stop TERM 10 || true
pl_check "portlight exits 0 on SIGTERM" pl_portlight_status_is 0
pl_finish
