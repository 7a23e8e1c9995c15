# shellcheck shell=bash
#
# Podman for portlight's integration tests: a private ROOTFUL Podman API
# service and a test user's ROOTLESS one, both real, neither touching the
# machine's own Podman storage.  Sourced by tests/integration/test_*.sh
# (with or without lib.sh; the names here start with plp_).
#
#   rootful:  podman --root/--runroot/--tmpdir $PLP_DIR/... system service
#             at $PLP_DIR/podman.sock (runc, ulimits, cgroupfs, file events:
#             see ../shared/ENVIRONMENT.md)
#   rootless: a user made for the test (plp<name>), /run/user/UID (0700),
#             its service at /run/user/UID/podman/podman.sock: the path
#             portlight's auto-detection looks at as root.  With PLP_RUN
#             set (before plp_init), PLP_RUN/user/UID instead: a test
#             folder that the test mounts on /run for portlight alone.
#
# Usage:
#   . "$SOURCE_DIR/tests/integration/lib-podman.sh"
#   plp_init NAME                # names, leftovers of an earlier NAME run
#   trap plp_cleanup EXIT        # or call plp_cleanup from your own trap
#   plp_rootful_start            # PLP_ROOTFUL_SOCK, PLP_ROOTFUL_PID
#   plp_user_create              # PLP_USER, PLP_UID, PLP_HOME, PLP_XDG
#   plp_rootless_start           # PLP_ROOTLESS_SOCK, PLP_ROOTLESS_PID
#   plp_import "$PLP_ROOTFUL_SOCK"; plp_import "$PLP_ROOTLESS_SOCK"
#   plp_run "$PLP_ROOTLESS_SOCK" web 18301 -l portlight.enable=true
#   plp_rootless_stop            # service only: containers keep running
#   plp_as_user CMD...           # CMD as the test user, in its session env
#   plp_cleanup                  # containers, services, user, folders
#
# NAME must be unique among tests that run at the same time (it names the
# folder and the user).  Host ports for tests: 18300-18399.  Processes are
# ended by the pid we recorded, or found by our own unique folder or user,
# never by a program name.

# shellcheck disable=SC2034 # PLP_* are for the scripts that source this.
PLP_IMAGE=${PLP_IMAGE:-localhost/plbusybox}

plp_log() {
	printf '%s [podman:%s] %s\n' "$(date +%T.%3N)" "${PLP_NAME:-?}" "$*" >&2
}

plp_die() {
	plp_log "FATAL: $*"
	exit 1
}

# plp_init NAME: sets the names and removes what a crashed NAME run left.
plp_init() {
	[ "$(id -u)" -eq 0 ] || plp_die "needs root"
	command -v podman >/dev/null || plp_die "podman is not installed"
	command -v runc >/dev/null || plp_die "runc is not installed"
	command -v newuidmap >/dev/null || plp_die "uidmap is not installed"
	PLP_NAME=$1
	[[ $PLP_NAME =~ ^[a-z0-9][a-z0-9-]{0,15}$ ]] ||
		plp_die "name \"$PLP_NAME\": use 1-16 of [a-z0-9-]"
	PLP_DIR=${PLP_ROOT:-/tmp}/plp-$PLP_NAME
	PLP_USER=plp$PLP_NAME
	PLP_ROOTFUL_SOCK=$PLP_DIR/podman.sock
	PLP_CONF=$PLP_DIR/containers.conf
	plp_cleanup
	mkdir -p "$PLP_DIR" || plp_die "cannot make $PLP_DIR"
	chmod 755 "$PLP_DIR"
	# runc (crun fails on this machine's hybrid cgroups), ulimits under
	# the hard limit, no systemd and no journald to lean on.
	cat >"$PLP_CONF" <<-'EOF'
		[containers]
		default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
		[engine]
		runtime = "runc"
		cgroup_manager = "cgroupfs"
		events_logger = "file"
	EOF
	chmod 644 "$PLP_CONF"
}

# plp_check_pid PID: the pid we keep must be podman itself, not a wrapper
# that would leave podman running when we end it.
plp_check_pid() {
	local i comm
	for i in $(seq 20); do
		comm=$(cat "/proc/$1/comm" 2>/dev/null)
		[ "$comm" = podman ] && return 0
		sleep 0.05
	done
	plp_die "pid $1 is \"$comm\", not podman"
}

# plp_wait_sock SOCK [SECONDS]: until /_ping answers OK.
plp_wait_sock() {
	local sock=$1 tries=$((${2:-30} * 10))
	while [ "$tries" -gt 0 ]; do
		if [ "$(curl -s -m 2 --unix-socket "$sock" http://d/_ping)" = OK ]; then
			return 0
		fi
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# plp_podman SOCK ARGS...: the podman client against one service.
plp_podman() {
	local sock=$1
	shift
	podman --url "unix://$sock" "$@"
}

# ------------------------------------------------------------------ rootful

# The rootful podman command line on our private storage (also used
# without a service, to clean up after a crash).
plp_rootful_cmd() {
	echo podman --root "$PLP_DIR/root" --runroot "$PLP_DIR/runroot" \
		--tmpdir "$PLP_DIR/tmp"
}

plp_rootful_start() {
	local pid
	rm -f "$PLP_ROOTFUL_SOCK"
	# shellcheck disable=SC2046
	(cd / && CONTAINERS_CONF=$PLP_CONF exec $(plp_rootful_cmd) \
		system service --time=0 "unix://$PLP_ROOTFUL_SOCK" \
		</dev/null >>"$PLP_DIR/rootful.log" 2>&1) &
	pid=$!
	echo "$pid" >"$PLP_DIR/rootful.pid"
	plp_check_pid "$pid"
	PLP_ROOTFUL_PID=$pid
	plp_wait_sock "$PLP_ROOTFUL_SOCK" 30 ||
		plp_die "rootful podman did not answer (see $PLP_DIR/rootful.log)"
	plp_log "rootful podman (pid $pid) at $PLP_ROOTFUL_SOCK"
}

# Ends the service; its containers keep running (conmon is apart).
plp_rootful_stop() {
	plp_stop_pid "$PLP_DIR/rootful.pid"
	PLP_ROOTFUL_PID=
}

# ----------------------------------------------------------------- rootless

# plp_user_create: a plain user with subordinate ids and a runtime folder.
plp_user_create() {
	id "$PLP_USER" >/dev/null 2>&1 ||
		useradd --create-home --shell /bin/bash "$PLP_USER" ||
		plp_die "useradd $PLP_USER failed"
	PLP_UID=$(id -u "$PLP_USER")
	PLP_GID=$(id -g "$PLP_USER")
	PLP_HOME=$(getent passwd "$PLP_USER" | cut -d: -f6)
	PLP_XDG=${PLP_RUN:-/run}/user/$PLP_UID
	PLP_ROOTLESS_SOCK=$PLP_XDG/podman/podman.sock
	# useradd fills /etc/subuid and /etc/subgid (SUB_UID_COUNT=65536).
	grep -q "^$PLP_USER:" /etc/subuid ||
		plp_die "$PLP_USER has no /etc/subuid range"
	grep -q "^$PLP_USER:" /etc/subgid ||
		plp_die "$PLP_USER has no /etc/subgid range"
	# What systemd-logind would make at login: owned by the user, 0700.
	mkdir -p "$PLP_XDG"
	chown "$PLP_USER:" "$PLP_XDG"
	chmod 700 "$PLP_XDG"
	# slirp4netns publishes ports through a tap device.
	chmod 666 /dev/net/tun
	install -o "$PLP_USER" -g "$PLP_GID" -m 644 "$PLP_CONF" \
		"$PLP_HOME/containers.conf"
	plp_log "user $PLP_USER (uid $PLP_UID), runtime folder $PLP_XDG"
}

# plp_as_user CMD...: CMD as the test user, in a clean login-like env.
plp_as_user() {
	env -i HOME="$PLP_HOME" USER="$PLP_USER" LOGNAME="$PLP_USER" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		XDG_RUNTIME_DIR="$PLP_XDG" \
		CONTAINERS_CONF="$PLP_HOME/containers.conf" \
		setpriv --reuid="$PLP_UID" --regid="$PLP_GID" --init-groups \
		"$@"
}

plp_rootless_start() {
	local pid
	[ -n "${PLP_UID:-}" ] || plp_die "plp_user_create first"
	plp_as_user mkdir -p "$PLP_XDG/podman"
	rm -f "$PLP_ROOTLESS_SOCK"
	# env and setpriv exec: $! is podman's own pid.
	(cd / && exec env -i HOME="$PLP_HOME" USER="$PLP_USER" \
		LOGNAME="$PLP_USER" PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		XDG_RUNTIME_DIR="$PLP_XDG" \
		CONTAINERS_CONF="$PLP_HOME/containers.conf" \
		setpriv --reuid="$PLP_UID" --regid="$PLP_GID" --init-groups \
		podman system service --time=0 "unix://$PLP_ROOTLESS_SOCK" \
		</dev/null >>"$PLP_DIR/rootless.log" 2>&1) &
	pid=$!
	echo "$pid" >"$PLP_DIR/rootless.pid"
	plp_check_pid "$pid"
	PLP_ROOTLESS_PID=$pid
	plp_wait_sock "$PLP_ROOTLESS_SOCK" 30 ||
		plp_die "rootless podman did not answer (see $PLP_DIR/rootless.log)"
	plp_log "rootless podman of $PLP_USER (pid $pid) at $PLP_ROOTLESS_SOCK"
}

# Ends the user's service only: like podman.service exiting when idle,
# its containers keep running.
plp_rootless_stop() {
	plp_stop_pid "$PLP_DIR/rootless.pid"
	PLP_ROOTLESS_PID=
}

# ---------------------------------------------------------------- images

# plp_image_tar: the busybox-static image tarball, made once per run.
plp_image_tar() {
	local img=$PLP_DIR/img
	[ -f "$PLP_DIR/img.tar" ] && return 0
	[ -x /bin/busybox ] || plp_die "busybox-static is not installed"
	mkdir -p "$img/bin"
	cp /bin/busybox "$img/bin/busybox"
	for l in sh httpd sleep; do
		ln -sf busybox "$img/bin/$l"
	done
	# A pod's infra command (catatonit is not installed): podman pod
	# create --infra-image "$PLP_IMAGE" --infra-command /pause
	printf '#!/bin/sh\nexec /bin/busybox sleep 2147483647\n' >"$img/pause"
	chmod 755 "$img/pause"
	tar -C "$img" -cf "$PLP_DIR/img.tar" .
	chmod 644 "$PLP_DIR/img.tar"
}

# plp_import SOCK: $PLP_IMAGE into that service's storage.
plp_import() {
	plp_image_tar
	plp_podman "$1" import "$PLP_DIR/img.tar" "$PLP_IMAGE" >/dev/null ||
		plp_die "podman import into $1 failed"
}

# plp_run SOCK NAME HOSTPORT [PODMAN RUN OPTIONS...]: a busybox httpd
# published on HOSTPORT (TCP, all addresses); prints the container id.
plp_run() {
	local sock=$1 name=$2 port=$3
	shift 3
	plp_podman "$sock" run -d --name "$name" -p "$port:80" "$@" \
		"$PLP_IMAGE" /bin/busybox httpd -f -p 80
}

# ---------------------------------------------------------------- clean-up

# plp_stop_pid PIDFILE: TERM, then KILL after 10 s, the pid recorded there.
plp_stop_pid() {
	local file=$1 pid
	[ -f "$file" ] || return 0
	pid=$(cat "$file")
	rm -f "$file"
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
}

# Pids of conmon and podman processes whose command line names our
# private folder: the rootful service's conmons (and their "container
# cleanup" children) outlive it, reparented to init.  Nothing else that
# mentions the folder (say a portlight -H on its socket) is touched.
plp_pids_in_dir() {
	local p comm
	for p in /proc/[0-9]*; do
		# A builtin read: a fork per process took 45 s on a busy machine.
		# The process may be gone by now: the group silences the failed
		# redirection, which a trailing 2>/dev/null would come too late for.
		{ read -r comm <"$p/comm"; } 2>/dev/null || continue
		case $comm in
		conmon | podman) ;;
		*) continue ;;
		esac
		if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -F -- "$PLP_DIR/" >/dev/null; then
			echo "${p#/proc/}"
		fi
	done
}

plp_cleanup_rootful() {
	local pid m
	[ -d "$PLP_DIR" ] || return 0
	if [ -d "$PLP_DIR/root" ]; then
		# Through our private storage, with or without the service.
		# shellcheck disable=SC2046
		CONTAINERS_CONF=$PLP_CONF $(plp_rootful_cmd) pod rm -a -f -t 0 \
			>/dev/null 2>&1
		# shellcheck disable=SC2046
		CONTAINERS_CONF=$PLP_CONF $(plp_rootful_cmd) rm -a -f -t 0 \
			>/dev/null 2>&1
	fi
	plp_stop_pid "$PLP_DIR/rootful.pid"
	for pid in $(plp_pids_in_dir); do
		[ "$pid" != $$ ] && kill -KILL "$pid" 2>/dev/null
	done
	# Podman's overlay driver mounts its folder on itself; deepest first.
	findmnt -rn -o TARGET | grep -F -- "$PLP_DIR/" | sort -r |
		while read -r m; do
			umount -l "$m" 2>/dev/null
		done
}

plp_cleanup_user() {
	local uid pid xdg
	id "$PLP_USER" >/dev/null 2>&1 || return 0
	uid=$(id -u "$PLP_USER")
	xdg=${PLP_RUN:-/run}/user/$uid
	plp_stop_pid "$PLP_DIR/rootless.pid"
	# Stop its containers while its pause process still holds the
	# user namespace, then end every process of this (our) user by pid.
	PLP_UID=$uid PLP_GID=$(id -g "$PLP_USER") PLP_XDG=$xdg \
		PLP_HOME=$(getent passwd "$PLP_USER" | cut -d: -f6) \
		plp_as_user podman pod rm -a -f -t 0 >/dev/null 2>&1
	PLP_UID=$uid PLP_GID=$(id -g "$PLP_USER") PLP_XDG=$xdg \
		PLP_HOME=$(getent passwd "$PLP_USER" | cut -d: -f6) \
		plp_as_user podman rm -a -f -t 0 >/dev/null 2>&1
	for pid in $(ps -o pid= -u "$uid"); do
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in $(seq 50); do
		[ -z "$(ps -o pid= -u "$uid")" ] && break
		sleep 0.1
	done
	userdel --remove "$PLP_USER" >/dev/null 2>&1 ||
		plp_log "userdel $PLP_USER failed"
	rm -rf "$xdg"
}

# plp_cleanup: everything plp_* made for this NAME; safe to call twice.
plp_cleanup() {
	[ -n "${PLP_NAME:-}" ] || return 0
	plp_cleanup_user
	plp_cleanup_rootful
	if [ -z "${PLP_KEEP:-}" ]; then
		rm -rf "$PLP_DIR"
	fi
	PLP_ROOTFUL_PID=
	PLP_ROOTLESS_PID=
}
