#!/usr/bin/env bash
# The real-API-server tier's prerequisites: kube-apiserver and
# kube-controller-manager built from the Go module k8s.io/kubernetes at
# KUBE_VERSION (the envtest approach), and etcd from Debian's etcd-server.
# KUBE_VERSION is versions.KubeTier (internal/versions/versions.go, the one
# place of the pin).
#
# The binaries are built once per machine, in a throwaway module outside this
# repository (k8s.io/kubernetes requires its staging modules at v0.0.0 and
# replaces them with ./staging paths, which only work inside its own tree, so
# the throwaway module replaces each with the published v0.X.Y), into
# ${XDG_CACHE_HOME:-$HOME/.cache}/eks-lab/kube-$KUBE_VERSION/, and reused.
#
# Progress goes to stderr; stdout is the environment the tests read, for
# .ci/run to eval:
#   LAB_KUBE_BIN_DIR  directory holding kube-apiserver and kube-controller-manager
#   LAB_ETCD          the etcd binary
set -euo pipefail

KUBE_VERSION="$(cd "$(dirname "$0")/.." && go run ./cmd/lab-ci version kube-tier)"
# The staging modules (k8s.io/api, k8s.io/client-go, ...) are published as v0.<minor>.<patch>.
STAGING_VERSION="v0.${KUBE_VERSION#v1.}"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/eks-lab/kube-$KUBE_VERSION"
bins=(kube-apiserver kube-controller-manager)

missing=()
for b in "${bins[@]}"; do
	[ -x "$cache/$b" ] || missing+=("$b")
done

if [ "${#missing[@]}" -gt 0 ]; then
	start=$SECONDS
	echo "kube-tier: building ${missing[*]} $KUBE_VERSION into $cache (once per machine, several minutes)" >&2
	work="$(mktemp -d)"
	trap 'rm -rf "$work"' EXIT
	gomod="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
	if [ ! -f "$gomod" ]; then
		echo "kube-tier: cannot download k8s.io/kubernetes@$KUBE_VERSION from the Go module proxy" >&2
		exit 1
	fi
	{
		echo "module kubebuild"
		echo
		echo "go 1.25.0"
		echo
		# Every "k8s.io/x => ./staging/src/k8s.io/x" of kubernetes' own go.mod.
		sed -n 's|^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/src/.*$|replace \1 => \1 '"$STAGING_VERSION"'|p' "$gomod"
	} >"$work/go.mod"
	if ! grep -q '^replace k8s.io/client-go ' "$work/go.mod"; then
		echo "kube-tier: found no staging replace lines in $gomod" >&2
		exit 1
	fi
	pkg=k8s.io/component-base/version
	ldflags="-s -w -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2) -X $pkg.gitTreeState=clean"
	pkgs=("${missing[@]/#/k8s.io/kubernetes/cmd/}")
	(
		cd "$work"
		mkdir out
		GOFLAGS=-mod=mod go get "${pkgs[@]/%/@$KUBE_VERSION}"
		# One build for both binaries: one's link (a single core, a minute)
		# overlaps the other's compiles instead of leaving a core idle.
		GOFLAGS=-mod=mod go build -ldflags "$ldflags" -o out/ "${pkgs[@]}"
	) >&2
	mkdir -p "$cache"
	for b in "${missing[@]}"; do
		# Whole files only: a build cut short leaves nothing to reuse.
		mv "$work/out/$b" "$cache/$b.tmp"
		mv "$cache/$b.tmp" "$cache/$b"
	done
	echo "kube-tier: built in $((SECONDS - start))s" >&2
fi

if ! command -v etcd >/dev/null; then
	echo "kube-tier: apt-get install etcd-server" >&2
	{
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server
	} >&2
fi
# Debian's package starts etcd as a service on port 2379; the tests start
# their own on free ports and do not need it.

echo "export LAB_KUBE_BIN_DIR=$cache"
echo "export LAB_ETCD=$(command -v etcd)"
