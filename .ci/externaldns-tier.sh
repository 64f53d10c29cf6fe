#!/usr/bin/env bash
# The ExternalDNS tier's prerequisite: the external-dns binary at the version
# the program deploys (versions.ExternalDNS, internal/versions), built from the Go
# module sigs.k8s.io/external-dns: its own main package (the module's root)
# with every provider and source, as the release image has it.
#
# Built once per machine, in a throwaway module outside this repository, into
# ${XDG_CACHE_HOME:-$HOME/.cache}/eks-lab/external-dns-$VERSION/, and reused.
# external-dns v0.22.0's go.mod requires two versions the Go module proxy does
# not serve, so the throwaway module replaces them with the nearest it serves:
#   github.com/openshift/api v0.0.0-20260819011109-af5c920502e2
#     => v0.0.0-20260810132456-8f52beb625b5, the version its own
#        github.com/openshift/client-go (v0.0.0-20260810202730-ddca5e0b7146)
#        requires (the OpenShift Route source);
#   github.com/exoscale/egoscale/v3 v3.1.44 => v3.1.43 (the Exoscale provider).
# Neither is on the path the tier runs (service source, aws provider, txt
# registry); both only have to compile.
#
# Progress goes to stderr; stdout is the environment the tests read, for
# .ci/run to eval:
#   LAB_EXTERNAL_DNS  the external-dns binary
set -euo pipefail
cd "$(dirname "$0")/.."

# One source for the version: the one the program deploys.
VERSION="$(go run ./cmd/lab-ci version external-dns)"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/eks-lab/external-dns-$VERSION"
bin="$cache/external-dns"

if [ ! -x "$bin" ]; then
	start=$SECONDS
	echo "externaldns-tier: building external-dns $VERSION into $cache (once per machine, several minutes)" >&2
	work="$(mktemp -d)"
	trap 'rm -rf "$work"' EXIT
	cat >"$work/go.mod" <<MOD
module externaldnsbuild

go 1.26.6

replace (
	github.com/openshift/api => github.com/openshift/api v0.0.0-20260810132456-8f52beb625b5
	github.com/exoscale/egoscale/v3 => github.com/exoscale/egoscale/v3 v3.1.43
)
MOD
	(
		cd "$work"
		GOFLAGS=-mod=mod go get "sigs.k8s.io/external-dns@$VERSION"
		# The flags of its Makefile's build target.
		CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o external-dns \
			-ldflags "-s -w -X sigs.k8s.io/external-dns/pkg/apis/externaldns.Version=$VERSION" \
			sigs.k8s.io/external-dns
	) >&2
	mkdir -p "$cache"
	# Whole files only: a build cut short leaves nothing to reuse.
	mv "$work/external-dns" "$bin.tmp"
	mv "$bin.tmp" "$bin"
	echo "externaldns-tier: built in $((SECONDS - start))s" >&2
fi

printf 'export LAB_EXTERNAL_DNS=%q\n' "$bin"
