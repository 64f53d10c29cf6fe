#!/usr/bin/env bash
# Mutation testing of the packages of pure logic: gremlins (the pin of that
# name in internal/versions, installed by .ci/install-tools.sh) changes one
# operator at a time (< to <=, + to -, == to !=, ...) and runs the package's
# own tests against each change, the mutant. A mutant the tests do not notice
# LIVED: the behaviour it changed is guarded by nothing. Per package it prints
# test efficacy (killed / (killed + lived)) and mutator coverage (mutants some
# test runs / all mutants), and fails when either is under 90%.
#
# Exceptions are in .ci/mutation.txt, each with its reason: an equivalent
# mutant (a change no input can tell from the original), or a function doing
# only I/O against the Kubernetes API or AWS, whose behaviour the test tiers
# measure with the real part instead. A mutant that lives because nothing
# tests the code gets a test, not an exception.
#
# The test tiers are off (every LAB_* variable unset, so their tests skip):
# what is measured is the unit tests beside the code.
#
# Usage: bash .ci/mutation.sh [--changed-since REF] [PACKAGE...]
#   Default: all of them; --changed-since: only those with a file changed
#   since git revision REF (what CI runs on a pull request).
#   MUTATION_WORKERS (default 2): mutants gremlins tests at once.
#   MUTATION_TIMEOUT_COEFFICIENT (default 20): a mutant's tests may take
#   that many times the coverage run, which was cached while a mutant's
#   run compiles.
#   The JSON reports are kept in ${TMPDIR:-/tmp}/eks-lab-mutation/.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$(bash .ci/install-tools.sh):$PATH" # gremlins, gojq

packages=(
	components/network/subnetplan # subnet math
	infra/awsfacts                # instance and region facts, max pods, the EKS calendar
	internal/estimate             # prices and durations
	infra/config                  # config validation
	internal/labci                # the CI's decisions
	internal/cleanup              # the cleanup's decisions
	internal/audit                # the audit's decisions
)
since=""
if [ "${1:-}" = --changed-since ]; then
	since="$2"
	shift 2
fi
if [ $# -gt 0 ]; then
	packages=("${@%/}")
fi
if [ -n "$since" ]; then
	changed=()
	for pkg in "${packages[@]}"; do
		git diff --quiet "$since" -- "$pkg" || changed+=("$pkg")
	done
	packages=(${changed[@]+"${changed[@]}"})
	echo "mutation: packages changed since $since: ${packages[*]:-none}"
fi
goal=90

# Packages whose behaviour is also tested through a command: their
# mutants are also run against the command's tests.
declare -A alsoTestedBy=(
	[internal/labci]=./cmd/lab-ci # the commands the workflows run, with a fake pulumi and a real git
)

while read -r v; do unset "$v"; done < <(compgen -e | grep '^LAB_' || true)

exceptions=.ci/mutation.txt
out="${TMPDIR:-/tmp}/eks-lab-mutation"
mkdir -p "$out"

# funcAt FILE LINE: the top-level function LINE is in ("-" outside one).
# gofmt puts a top-level function's "func" and its closing "}" in column 0.
funcAt() {
	awk -v L="$2" '
		NR > L { exit }
		/^func / { f = $0; sub(/^func (\([^)]*\) )?/, "", f); sub(/[\[(].*/, "", f); next }
		/^}/ { f = "" }
		END { print (f == "" ? "-" : f) }' "$1"
}

# exception KIND FILE FUNC TYPE SOURCE: the reason .ci/mutation.txt gives,
# or nothing. Lines: "equivalent | FILE | TYPE | fragment of the line | why"
# and "io | FILE | FUNCTION | why".
exception() {
	local kind=$1 file=$2 fn=$3 typ=$4 src=$5
	awk -F' [|] ' -v kind="$kind" -v file="$file" -v fn="$fn" -v typ="$typ" -v src="$src" '
		/^#/ || NF < 4 { next }
		kind == "equivalent" && $1 == "equivalent" && $2 == file && $3 == typ && index(src, $4) { print $5; exit }
		kind == "io" && $1 == "io" && $2 == file && $3 == fn { print $4; exit }' "$exceptions"
}

# ownMutant FILE LINE COL TYPE PACKAGE...: runs the tests of the packages
# against one mutant: one gremlins did not run against all of them (see
# alsoTestedBy), or one it reported NOT COVERED although the line ran
# (Go's coverage profile says so: see ran). gremlins v0.6.0 takes
# a mutant for covered only when its column lies inside a block of Go's
# coverage profile that ran, and some code that runs lies in no block: a
# condition of a tagless switch's case (the switch's block ends at its "{",
# each clause's begins after its ":";
# https://github.com/go-gremlins/gremlins/issues/298, open), the part of a
# line after a function literal, a package-level declaration. The mutant is
# made as gremlins makes it (its engine package's mappings, at v0.6.0) and given
# to `go test -overlay`, which leaves the file alone. Prints its status.
ownMutant() {
	local file=$1 line=$2 col=$3 typ=$4 dir
	shift 4
	dir="$(mktemp -d)"
	LC_ALL=C awk -v L="$line" -v C="$col" -v T="$typ" '
		NR == L {
			two = substr($0, C, 2); one = substr($0, C, 1)
			if (two ~ /^(<=|>=|==|!=)$/) { op = two } else { op = one }
			m["CONDITIONALS_BOUNDARY", ">="] = ">"; m["CONDITIONALS_BOUNDARY", ">"] = ">="
			m["CONDITIONALS_BOUNDARY", "<="] = "<"; m["CONDITIONALS_BOUNDARY", "<"] = "<="
			m["CONDITIONALS_NEGATION", "=="] = "!="; m["CONDITIONALS_NEGATION", "!="] = "=="
			m["CONDITIONALS_NEGATION", ">="] = "<"; m["CONDITIONALS_NEGATION", ">"] = "<="
			m["CONDITIONALS_NEGATION", "<="] = ">"; m["CONDITIONALS_NEGATION", "<"] = ">="
			m["ARITHMETIC_BASE", "+"] = "-"; m["ARITHMETIC_BASE", "-"] = "+"; m["ARITHMETIC_BASE", "*"] = "/"
			m["ARITHMETIC_BASE", "/"] = "*"; m["ARITHMETIC_BASE", "%"] = "*"; m["INVERT_NEGATIVES", "-"] = "+"
			if (!((T, op) in m)) { exit 3 }
			$0 = substr($0, 1, C - 1) m[T, op] substr($0, C + length(op))
		}
		{ print }' "$file" >"$dir/mutant.go" || { echo "NOT VIABLE"; rm -rf "$dir"; return; }
	printf '{"Replace":{"%s":"%s"}}' "$PWD/$file" "$dir/mutant.go" >"$dir/overlay.json"
	local log
	if log="$(go test -count=1 -failfast -timeout 2m -overlay "$dir/overlay.json" "$@" 2>&1)"; then
		echo LIVED
	elif grep -q 'build failed\|setup failed' <<<"$log"; then
		echo "NOT VIABLE"
	elif grep -q 'test timed out' <<<"$log"; then
		echo "TIMED OUT"
	else
		echo KILLED
	fi
	rm -rf "$dir"
}

# ran COVERFILE FILE LINE: whether a block of the coverage profile that
# touches LINE of FILE ran.
ran() {
	awk -v f="$module/$2:" -v L="$3" '
		index($1, f) == 1 {
			split(substr($1, length(f) + 1), r, /[.,]/)
			if (r[1] + 0 <= L + 0 && L + 0 <= r[3] + 0 && $3 > 0) { found = 1; exit }
		}
		END { exit !found }' "$1"
}

module="$(go list -m)"
failed=()
summary=()
for pkg in "${packages[@]}"; do
	json="$out/${pkg//\//_}.json"
	echo "== $pkg"
	tests=("./$pkg" ${alsoTestedBy[$pkg]:-})
	go test -count=1 -coverpkg "./$pkg" -coverprofile "$out/${pkg//\//_}.cover" "${tests[@]}" >/dev/null
	gremlins unleash --output-statuses t --workers "${MUTATION_WORKERS:-2}" --timeout-coefficient "${MUTATION_TIMEOUT_COEFFICIENT:-20}" --output "$json" "./$pkg"
	killed=0 lived=0 timedout=0 uncovered=0 equivalent=0 io=0
	while IFS=$'\t' read -r file line col typ status; do
		[ "$status" = "NOT VIABLE" ] && continue
		path="$pkg/$file"
		fn="$(funcAt "$path" "$line")"
		src="$(sed -n "${line}p" "$path")"
		if [ -n "$(exception io "$path" "$fn" "$typ" "$src")" ]; then
			io=$((io + 1))
			continue
		fi
		if { [ "$status" = "NOT COVERED" ] && { [[ "$src" =~ ^[[:space:]]*case\  ]] || [ "$fn" = - ] || ran "$out/${pkg//\//_}.cover" "$path" "$line"; }; } ||
			{ [ "$status" = LIVED ] && [ ${#tests[@]} -gt 1 ]; }; then
			status="$(ownMutant "$path" "$line" "$col" "$typ" "${tests[@]}")"
			[ "$status" = "NOT VIABLE" ] && continue
		fi
		case "$status" in
		KILLED) killed=$((killed + 1)) ;;
		"TIMED OUT") timedout=$((timedout + 1)) ;;
		LIVED | "NOT COVERED")
			if [ "$status" = LIVED ] && [ -n "$(exception equivalent "$path" "$fn" "$typ" "$src")" ]; then
				equivalent=$((equivalent + 1))
				continue
			fi
			[ "$status" = LIVED ] && lived=$((lived + 1)) || uncovered=$((uncovered + 1))
			printf '  %-11s %-22s %s:%s:%s in %s: %s\n' "$status" "$typ" "$path" "$line" "$col" "$fn" "$(echo "$src" | sed 's/^[[:space:]]*//')"
			;;
		esac
	done < <(gojq -r '.files[] | .file_name as $f | .mutations[] | [$f, .line, .column, .type, .status] | @tsv' "$json" | sort -t$'\t' -k1,1 -k2,2n -k3,3n)
	covered=$((killed + lived + timedout))
	efficacy="$(awk -v k=$killed -v l=$lived 'BEGIN { printf "%.1f", (k + l) ? 100 * k / (k + l) : 100 }')"
	coverage="$(awk -v c=$covered -v u=$uncovered 'BEGIN { printf "%.1f", (c + u) ? 100 * c / (c + u) : 100 }')"
	row="$(printf '%-30s %6s %6s %6s %6s %6s %6s %8s%% %8s%%' "$pkg" $killed $lived $timedout $uncovered $equivalent $io "$efficacy" "$coverage")"
	summary+=("$row")
	if awk -v e="$efficacy" -v c="$coverage" -v g=$goal 'BEGIN { exit !(e < g || c < g) }'; then
		failed+=("$pkg")
	fi
done

if [ ${#summary[@]} -eq 0 ]; then
	exit 0
fi
echo
echo "== mutation testing: efficacy = killed / (killed + lived), coverage = mutants run / all; goal $goal% each"
printf '%-30s %6s %6s %6s %6s %6s %6s %9s %9s\n' package killed lived t/o uncov equiv io efficacy coverage
printf '%s\n' "${summary[@]}"
echo "(t/o: timed out, counted as covered, not in efficacy; equiv and io: exceptions listed in $exceptions, in neither)"
if [ ${#failed[@]} -gt 0 ]; then
	echo "under $goal%: ${failed[*]}; test the LIVED and NOT COVERED mutants above, or list a truly equivalent one in $exceptions with its reason" >&2
	exit 1
fi
