#!/usr/bin/env bash
# Quick start: watch portlight announce a real container over mDNS.
#
#   sudo bash packaging/demo.sh        (from any folder, Debian 12, root)
#
# Installs what it needs with apt-get, builds portlight in build/, and sets
# up a sandbox that leaves the machine's own network, D-Bus, Docker and
# Avahi alone (tests/integration/lib.sh): two network namespaces joined by
# a veth, a private dbus-daemon, avahi-daemon in the first namespace, a
# private dockerd.  Then it starts a labelled container, runs portlight in
# the first namespace, and shows what an independent mDNS browser
# (python3-zeroconf) in the second namespace sees; stops the container and
# shows the service withdrawn; stops portlight and removes everything.
#
# Environment: PORTLIGHT_NO_APT=1 skips apt-get; PORTLIGHT_BIN=PATH uses
# that binary instead of building one.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=_http._tcp

step() {
	if [ -t 1 ]; then
		printf '\n\033[1m==> %s\033[0m\n' "$*"
	else
		printf '\n==> %s\n' "$*"
	fi
}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: needs root (apt-get, network namespaces, dockerd, avahi-daemon): sudo bash $0" >&2
	exit 1
fi

if [ -z "${PORTLIGHT_NO_APT:-}" ]; then
	step "Installing build tools, Docker, Avahi, D-Bus and an mDNS browser (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	apt_opts=(-q -y -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold)
	apt-get "${apt_opts[@]}" update </dev/null >/dev/null
	apt-get "${apt_opts[@]}" install --no-install-recommends \
		build-essential cmake pkg-config libcurl4-openssl-dev \
		libjson-c-dev libevent-dev libavahi-client-dev \
		docker.io containerd runc tini iptables \
		avahi-daemon avahi-utils dbus python3 python3-zeroconf \
		busybox-static iproute2 util-linux curl </dev/null >/dev/null
fi

if [ -z "${PORTLIGHT_BIN:-}" ]; then
	step "Building portlight (cmake -B build && cmake --build build)"
	cmake -S "$ROOT" -B "$ROOT/build" >/dev/null
	cmake --build "$ROOT/build" -j "$(nproc)" --target portlight >/dev/null
	PORTLIGHT_BIN=$ROOT/build/portlight
fi
export PORTLIGHT_BIN
"$PORTLIGHT_BIN" --version

# shellcheck source-path=SCRIPTDIR source=../tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"

step "Setting up the sandbox: netns A (avahi-daemon, portlight) <-veth-> netns B (mDNS browser), private D-Bus and dockerd"
pl_init demo
PORT=$(pl_port 0) # a free host port of 18200-18299
pl_sandbox

# show_seen: what the browser in B sees of $T, one line per service.
show_seen() {
	pl_mdns browse "$T" --timeout "${1:-2}" >"$PL_DIR/seen.json"
	/usr/bin/python3 - "$PL_DIR/seen.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
if not d["services"]:
    print("    (nothing: no %s service on the network)" % d["type"].replace(".local.", ""))
for s in d["services"]:
    txt = " ".join(k if v is None else "%s=%s" % (k, v)
                   for k, v in sorted(s["txt"].items()))
    addrs = ", ".join(a for a in s["addresses"] if ":" not in a)
    print("    %s.%s -> %s:%s (%s)  TXT %s"
          % (s["name"], s["type"].rstrip("."), (s["server"] or "?").rstrip("."),
             s["port"], addrs, txt or "(none)"))
EOF
}

step "Starting a labelled container"
echo "    docker run -d -p $PORT:80 -l portlight.enable=true -l portlight.name=Shop -l portlight.type=$T -l portlight.txt.path=/ busybox httpd"
pl_docker run -d --name shop -p "$PORT:80" -l portlight.enable=true \
	-l portlight.name=Shop -l portlight.type="$T" -l portlight.txt.path=/ \
	"$PL_IMAGE" httpd -f -p 80 -h /www >/dev/null
echo "    the container answers on the host: $(curl -s --max-time 5 "http://127.0.0.1:$PORT/" || echo '(no answer)')"

step "Running portlight in netns A: portlight -H unix://$PL_DOCKER_SOCK"
pl_portlight_start -H "unix://$PL_DOCKER_SOCK"

step "What an mDNS browser on the other side of the link (netns B) sees"
if pl_mdns wait Shop "$T" --port "$PORT" --timeout 20 >/dev/null; then
	show_seen 2
else
	echo "    Shop did not show up within 20 s; portlight's log:"
	tail -n 30 "$PL_PORTLIGHT_LOG" | sed 's/^/    | /'
	exit 1
fi
echo "    and avahi-daemon's own view (avahi-browse -rpt $T in netns A):"
pl_avahi_browse "$T" | grep '^=' | sed 's/^/    /' || true

step "Stopping the container: docker stop shop"
pl_docker stop -t 1 shop >/dev/null
if pl_mdns gone Shop "$T" --timeout 10 >/dev/null; then
	echo "    withdrawn. The browser now sees:"
	show_seen 2
else
	echo "    Shop is still announced 10 s after docker stop"
	exit 1
fi

step "Stopping portlight (SIGTERM)"
pl_portlight_stop TERM 10 || true
echo "    portlight exited with status $PL_PORTLIGHT_STATUS"
echo "    its log:"
sed 's/^/    | /' "$PL_PORTLIGHT_LOG" | tail -n 20

step "Cleaning up the sandbox"
