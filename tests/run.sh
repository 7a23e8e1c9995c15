#!/usr/bin/env bash
# portlight's whole test suite, from nothing but a Debian 12 machine and
# root: installs what it needs with apt-get, then
#   1. build/       -DPORTLIGHT_WERROR=ON                     ctest (all)
#   2. build-asan/  -DPORTLIGHT_SANITIZE=ON -DPORTLIGHT_WERROR=ON ctest (all)
#   3. build-fuzz/  CC=clang -DPORTLIGHT_FUZZ=ON              ctest -L fuzz
# Every stage runs even when an earlier one failed; the exit status is
# non-zero if any failed, and the last line says which.
#
# Stages 1 and 2 are built one after the other, then their ctest runs go
# side by side (their sandboxes are named after the build folder, so
# they never meet: every integration test, test_engine.sh too, takes
# its names, its dockerd bridge and its host ports from lib.sh; most of
# an integration test is waiting for daemons),
# each to a log printed when both are done.  That keeps the whole run
# well inside CI's 25 minutes on two cores.
#
#   bash tests/run.sh            (from any folder; needs root)
# Environment: PORTLIGHT_NO_APT=1 skips apt-get (packages already there);
# PORTLIGHT_BUILD_PREFIX=build-x builds in build-x, build-x-asan, ...;
# PORTLIGHT_STAGES="build asan fuzz" chooses stages;
# PORTLIGHT_SERIAL=1 runs the two ctest suites one after the other.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PREFIX=${PORTLIGHT_BUILD_PREFIX:-build}
STAGES=${PORTLIGHT_STAGES:-build asan fuzz}
JOBS=$(nproc 2>/dev/null || echo 2)
T0=$SECONDS

say() {
	printf '\n=== run.sh: %s\n' "$*"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: needs root (apt-get, network namespaces, dockerd, avahi-daemon); run: sudo bash tests/run.sh" >&2
	exit 1
fi

# Build, unit, integration and fuzz dependencies.  Recommends are left
# out; what the tests need of them is named here.
PACKAGES=(
	build-essential cmake pkg-config gcc clang libclang-rt-14-dev
	libcurl4-openssl-dev libjson-c-dev libevent-dev libavahi-client-dev
	libcmocka-dev valgrind
	docker.io containerd runc tini iptables
	podman golang-github-containers-common containernetworking-plugins
	conmon uidmap slirp4netns
	avahi-daemon avahi-utils dbus
	python3 python3-zeroconf busybox-static iproute2 util-linux curl
	ca-certificates
)

if [ -z "${PORTLIGHT_NO_APT:-}" ]; then
	say "installing packages with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt_opts=(-q -y -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold)
	apt-get "${apt_opts[@]}" update </dev/null
	apt-get "${apt_opts[@]}" install --no-install-recommends \
		"${PACKAGES[@]}" </dev/null
fi

declare -A result
declare -A took
failed=()

# stage NAME COMMAND...: run one stage, remember how it went.
stage() {
	local name=$1 t=$SECONDS rc=0
	shift
	say "stage $name: $*"
	"$@" || rc=$?
	record "$name" "$rc" $((SECONDS - t))
}

configure_build() {
	local dir=$1
	shift
	cmake -S "$ROOT" -B "$dir" "$@" &&
		cmake --build "$dir" -j "$JOBS"
}

run_ctest() {
	local dir=$1
	shift
	ctest --test-dir "$dir" --output-on-failure -j "$JOBS" "$@"
}

# The sanitizers' settings for the ASan build and its tests: leak
# checking on, UBSan reports with a stack (the build already makes every
# finding fatal).
asan_env() {
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} "$@"
}

build_plain() {
	configure_build "$PREFIX" -DPORTLIGHT_WERROR=ON
}

build_asan() {
	asan_env configure_build "$PREFIX-asan" -DPORTLIGHT_SANITIZE=ON \
		-DPORTLIGHT_WERROR=ON
}

stage_build() {
	build_plain && run_ctest "$PREFIX"
}

stage_asan() {
	build_asan && asan_env run_ctest "$PREFIX-asan"
}

stage_fuzz() {
	CC=clang configure_build "$PREFIX-fuzz" -DPORTLIGHT_FUZZ=ON \
		-DPORTLIGHT_INTEGRATION=OFF &&
		run_ctest "$PREFIX-fuzz" -L fuzz
}

# record NAME RC SECONDS: remember how a stage went.
record() {
	took[$1]=$3
	if [ "$2" -eq 0 ]; then
		result[$1]=ok
	else
		result[$1]="FAILED ($2)"
		failed+=("$1")
	fi
	say "stage $1: ${result[$1]} in ${took[$1]} s"
}

# Stages build and asan with their ctest runs side by side.
stages_build_asan_parallel() {
	local t=$SECONDS rc_plain=0 rc_asan=0 pid_plain pid_asan
	local log_plain=$ROOT/$PREFIX/ctest.log log_asan=$ROOT/$PREFIX-asan/ctest.log

	say "stage build: compiling ($PREFIX)"
	build_plain || rc_plain=$?
	say "stage asan: compiling ($PREFIX-asan)"
	build_asan || rc_asan=$?

	say "stages build and asan: ctest side by side (logs $log_plain, $log_asan)"
	if [ "$rc_plain" -eq 0 ]; then
		run_ctest "$PREFIX" >"$log_plain" 2>&1 &
		pid_plain=$!
	fi
	if [ "$rc_asan" -eq 0 ]; then
		asan_env run_ctest "$PREFIX-asan" >"$log_asan" 2>&1 &
		pid_asan=$!
	fi
	if [ -n "${pid_plain:-}" ]; then
		wait "$pid_plain" || rc_plain=$?
		say "stage build: ctest output"
		cat "$log_plain"
	fi
	if [ -n "${pid_asan:-}" ]; then
		wait "$pid_asan" || rc_asan=$?
		say "stage asan: ctest output"
		cat "$log_asan"
	fi
	record build "$rc_plain" $((SECONDS - t))
	record asan "$rc_asan" $((SECONDS - t))
}

parallel=
if [ -z "${PORTLIGHT_SERIAL:-}" ] && [[ " $STAGES " == *" build "* ]] &&
	[[ " $STAGES " == *" asan "* ]]; then
	parallel=1
	stages_build_asan_parallel
fi

for s in $STAGES; do
	case $s in
	build) [ -n "$parallel" ] || stage build stage_build ;;
	asan) [ -n "$parallel" ] || stage asan stage_asan ;;
	fuzz)
		if command -v clang >/dev/null 2>&1; then
			stage fuzz stage_fuzz
		else
			say "clang not found: fuzz targets not built"
			result[fuzz]="not run (no clang)"
			took[fuzz]=0
		fi
		;;
	*)
		echo "run.sh: unknown stage '$s' (build, asan, fuzz)" >&2
		exit 2
		;;
	esac
done

summary=""
for s in $STAGES; do
	summary+="$s: ${result[$s]:-not run} (${took[$s]:-0} s); "
done
if [ "${#failed[@]}" -ne 0 ]; then
	echo "run.sh: FAILED: ${failed[*]} -- ${summary}total $((SECONDS - T0)) s"
	exit 1
fi
echo "run.sh: PASSED -- ${summary}total $((SECONDS - T0)) s"
