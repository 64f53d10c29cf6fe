#!/usr/bin/env bash
# Measures the developer loop (README, "Running the tests"): prints, with
# /usr/bin/time's wall and CPU seconds, the CPU seconds over the cores (no
# run on this machine can be faster) and the load average at the start,
#   1. go test -count=1 ./...   warm build cache, test tiers off
#   2. go test ./...            every result cached
#   3. go test -count=1 ./...   warm, every test tier on (LAB_TIERS_REQUIRED=1)
#   4. with --cold only: bash .ci/run in a fresh clone of HEAD with empty Go
#      build, module and tool caches and an empty eks-lab cache (every tier
#      binary built anew), as CI on a new machine; many minutes.
# It changes none of the user's caches: 1-3 use them as they are (a tier
# binary that is missing is built first, untimed, as .ci/run would), and
# --cold works in a temporary directory it deletes afterwards. What the
# machine has installed (etcd, python3's moto) is used as it is.
# Usage: bash .ci/bench-tests.sh [--cold]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

cold=false
case "${1:-}" in
--cold) cold=true ;;
"") ;;
*)
	echo "usage: bash .ci/bench-tests.sh [--cold]" >&2
	exit 2
	;;
esac

tmp="$(mktemp -d)"
cleanup() {
	# The module cache is read-only, as Go writes it.
	chmod -R u+w "$tmp" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }

# measure ID NAME GOAL COMMAND...: runs COMMAND with its output in
# $tmp/ID.log and prints its times, and for go test -json its test counts.
failed=0
measure() {
	local id=$1 name=$2 goal=$3 start rc=0 counts=""
	shift 3
	start="$(load)"
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%e s wall, %U s user + %S s sys' -o "$tmp/$id.time" "$@" >"$tmp/$id.log" 2>&1 || rc=$?
	else # bash's own time, where GNU time is not installed
		{ TIMEFORMAT='%R s wall, %U s user + %S s sys'; time "$@" >"$tmp/$id.log" 2>&1 || rc=$?; } 2>"$tmp/$id.time"
	fi
	if grep -q '"Action":' "$tmp/$id.log"; then
		counts="; tests: $(grep -c '"Action":"pass".*"Test":' "$tmp/$id.log" || true) passed, $(grep -c '"Action":"fail".*"Test":' "$tmp/$id.log" || true) failed, $(grep -c '"Action":"skip".*"Test":' "$tmp/$id.log" || true) skipped"
	fi
	# The work spread over every core is as fast as a run can be here: a
	# goal below that floor needs less work, not more overlap.
	floor="$(tail -n1 "$tmp/$id.time" | awk -v cores="$(nproc)" '{ printf "%.1f", ($4 + $8) / cores }')"
	printf '%-30s %s = %s s on %d cores at best (goal %s; load average at the start %s)%s\n' "$name:" "$(tail -n1 "$tmp/$id.time")" "$floor" "$(nproc)" "$goal" "$start" "$counts"
	if [ "$rc" -ne 0 ]; then
		failed=1
		echo "  FAILED (exit $rc); the end of its output:"
		tail -n 30 "$tmp/$id.log" | sed 's/^/  | /'
	fi
}

echo "eks-lab test loop on $(date -u +%Y-%m-%d) at $(git rev-parse --short HEAD): $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(go version | cut -d' ' -f3)"

# Every tier off: the variables the tiers' scripts export, unset.
tiers_off=(env -u LAB_KUBE_BIN_DIR -u LAB_ETCD -u LAB_MOTO -u LAB_MOTO_MISSING -u LAB_EXTERNAL_DNS -u LAB_PULUMI_CLI -u LAB_TIERS_REQUIRED)

# With -json, as figure 2 runs: go test caches a result per set of test
# flags, and -json runs the tests with -test.v=test2json, so a plain run's
# results would not serve it.
echo "warming the build and test caches (untimed: go test -json ./...)"
"${tiers_off[@]}" go test -json ./... >"$tmp/warm.log" 2>&1 || {
	tail -n 30 "$tmp/warm.log"
	exit 1
}
measure warm "1. warm, tiers off" "<= 20 s" "${tiers_off[@]}" go test -count=1 -json ./...
measure cached "2. cached, tiers off" "<= 5 s" "${tiers_off[@]}" go test -json ./...

echo "the tiers' prerequisites (untimed; built once per machine when missing)"
eval "$(bash .ci/kube-tier.sh)"
eval "$(bash .ci/moto-tier.sh)"
eval "$(bash .ci/externaldns-tier.sh)"
LAB_PULUMI_CLI="$(bash .ci/pulumi-cli.sh)"
export LAB_PULUMI_CLI LAB_TIERS_REQUIRED=1
measure tiers "3. warm, every tier on" "<= 60 s" go test -count=1 -json ./...

if $cold; then
	git clone -q --no-local "$root" "$tmp/clone"
	mkdir -p "$tmp/gocache" "$tmp/gomodcache" "$tmp/gopath" "$tmp/xdg"
	cold_env=(env -u LAB_KUBE_BIN_DIR -u LAB_ETCD -u LAB_MOTO -u LAB_MOTO_MISSING -u LAB_EXTERNAL_DNS -u LAB_PULUMI_CLI -u LAB_TIERS_REQUIRED
		CI=true GOCACHE="$tmp/gocache" GOMODCACHE="$tmp/gomodcache" GOPATH="$tmp/gopath" XDG_CACHE_HOME="$tmp/xdg")
	# Each line of .ci/run's output gets the seconds since it started, for
	# the steps' times below.
	measure cold "4. cold .ci/run" "<= 30 min" "${cold_env[@]}" bash -c 'cd "$0" && SECONDS=0 && bash .ci/run </dev/null 2>&1 |
		while IFS= read -r line; do printf "%6d %s\n" "$SECONDS" "$line"; done; exit "${PIPESTATUS[0]}"' "$tmp/clone"
	echo "  its steps (seconds since it started):"
	grep -E '^ *[0-9]+ (== |kube-tier: built|externaldns-tier: built|ok |FAIL)' "$tmp/cold.log" | sed 's/^/  /' || true
fi
exit "$failed"
