#!/usr/bin/env bash
# Installs the CI's Go tools at pinned versions with `go install`: actionlint
# (lints .github/workflows), staticcheck (Go bugs, dead code), gojq (jq in
# Go, which the workflows' steps use; tests/workflows_test.go runs them) and
# gremlins (mutation testing, .ci/mutation.sh). Idempotent: a tool
# already built at its pinned version is kept. Prints the directory the tools
# are in, so that .ci/run can do PATH="$(bash .ci/install-tools.sh):$PATH".
# The versions are internal/versions' pins of the same names.
set -euo pipefail

tools=(
	"actionlint github.com/rhysd/actionlint/cmd/actionlint"
	"staticcheck honnef.co/go/tools/cmd/staticcheck"
	"gojq github.com/itchyny/gojq/cmd/gojq" # jq, for tests that run workflow steps
	"gremlins github.com/go-gremlins/gremlins/cmd/gremlins" # mutation testing, .ci/mutation.sh
)

bindir="$(go env GOBIN)"
if [ -z "$bindir" ]; then
	bindir="$(go env GOPATH)/bin"
fi

for t in "${tools[@]}"; do
	read -r name pkg <<<"$t"
	version="$(cd "$(dirname "$0")/.." && go run ./cmd/lab-ci version "$name")"
	# `go version -m` names the module version the binary was built from.
	have="$(go version -m "$bindir/$name" 2>/dev/null | awk '$1 == "mod" { print $3 }' || true)"
	if [ "$have" = "$version" ]; then
		continue
	fi
	echo "install-tools: go install $pkg@$version" >&2
	go install "$pkg@$version"
done

echo "$bindir"
