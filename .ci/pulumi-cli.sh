#!/usr/bin/env bash
# Builds the real pulumi CLI for the CLI test tier (tests/tier_cli_test.go) from the Go module
# proxy, once per machine, and prints the binary's path so that .ci/run can do
# LAB_PULUMI_CLI="$(bash .ci/pulumi-cli.sh)".
#
# `go install github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@VERSION` refuses a module
# with replace lines, so the CLI is built from a throwaway wrapper module outside
# this repository (the lab's go.mod must not gain pkg/v3). Of pkg/v3's replace
# lines only the clipboard one matters; the other points at ../sdk of Pulumi's
# monorepo, which the wrapper gets as sdk/v3 at the same version instead.
# The version is versions.PulumiCLI (internal/versions/versions.go, the one
# place of the pin; the workflows install the same release). pkg/v3 v3.274.1
# needs go 1.26.6: an older go switches to that toolchain (GOTOOLCHAIN=auto,
# the default). The version is stamped the way Pulumi's own builds do, so
# `pulumi version` and the Automation API see it.
set -euo pipefail

version="$(cd "$(dirname "$0")/.." && go run ./cmd/lab-ci version pulumi-cli)"
bin="${XDG_CACHE_HOME:-$HOME/.cache}/eks-lab/pulumi-$version/bin/pulumi"

if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

wrapper="$(mktemp -d)"
trap 'rm -rf "$wrapper"' EXIT
cat >"$wrapper/go.mod" <<EOF
module eks-lab/pulumi-cli

go 1.26.6

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF

echo "pulumi-cli: building pulumi $version (a few minutes cold; cached in $bin)" >&2
mkdir -p "$(dirname "$bin")"
(
	cd "$wrapper"
	go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$version" "github.com/pulumi/pulumi/sdk/v3@$version"
	go build -o "$bin.tmp" \
		-ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
		github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
)
# Renamed only once complete, so an interrupted build is not mistaken for a cached one.
mv "$bin.tmp" "$bin"
echo "$bin"
