#!/usr/bin/env bash
# The emulator tier's prerequisite: moto 5.2.1, the AWS API emulator, under
# python3, with awscli 1.45.11 beside it (tests run the delete commands
# lab audit prints). Prints the shell lines .ci/run evaluates:
#   export LAB_MOTO='<command that starts moto's server>'
# or, when moto cannot be had on this machine,
#   export LAB_MOTO_MISSING='<why>'
# and the tier's tests (internal/audit, tests) skip with that reason, or
# fail under LAB_TIERS_REQUIRED=1 (.ci/run).
#
# Order: a python3 that already has moto 5.2.1, then the virtualenv this script
# made before, then a new virtualenv with `pip install moto[server]==5.2.1`,
# cached per machine. Debian has no python3-moto package (bookworm), so without
# PyPI (this project's build machines reach only the Go proxy, Debian and npm)
# a fresh machine cannot get moto, and the tier is skipped there.
set -euo pipefail

# The versions are versions.Moto and versions.AWSCLI (internal/versions/versions.go).
version="$(cd "$(dirname "$0")/.." && go run ./cmd/lab-ci version moto)"
cli_version="$(cd "$(dirname "$0")/.." && go run ./cmd/lab-ci version awscli)"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/eks-lab/moto-$version"

has_moto() { # python
	"$1" -c "import moto, flask, flask_cors, awscli; assert moto.__version__ == '$version'" >/dev/null 2>&1
}

say() { printf 'export %s=%q\n' "$1" "$2"; }

if command -v python3 >/dev/null && has_moto python3; then
	say LAB_MOTO "python3 -m moto.server"
	exit 0
fi
if [ -x "$venv/bin/python" ] && has_moto "$venv/bin/python"; then
	say LAB_MOTO "$venv/bin/python -m moto.server"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	say LAB_MOTO_MISSING "no python3 on this machine for moto $version, the AWS API emulator"
	exit 0
fi
index="${PIP_INDEX_URL:-https://pypi.org/simple}"
if ! python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)" "${index%/}/moto/" 2>/dev/null; then
	say LAB_MOTO_MISSING "moto $version (the AWS API emulator) is not installed, and $index (to pip install it) is unreachable; Debian has no python3-moto"
	exit 0
fi
echo "moto-tier: installing moto[server]==$version into $venv" >&2
rm -rf "$venv"
if python3 -m venv "$venv" >&2 &&
	PIP_DEFAULT_TIMEOUT=20 "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --retries 1 "moto[server]==$version" "awscli==$cli_version" >&2 &&
	has_moto "$venv/bin/python"; then
	say LAB_MOTO "$venv/bin/python -m moto.server"
	exit 0
fi
rm -rf "$venv"
say LAB_MOTO_MISSING "moto $version (the AWS API emulator) is not installed, and python3 -m venv with pip could not install it (see the messages above)"
