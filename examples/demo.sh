#!/bin/sh
# make demo: plan, apply, then plan again against the embedded simulator (sim://demo).
#
# Each run starts from a fresh simulated PowerSchool in a temporary directory, so the
# first plan always has the whole Clever setup to do (exit 2), apply makes it (exit 0)
# and the second plan finds nothing left (exit 0). Any other exit code fails the demo.
# Needs `psconfig` on PATH (the Makefile puts the virtualenv first).
set -u

repo=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$repo" || exit 1
spec=examples/demo.yaml

work=$(mktemp -d "${TMPDIR:-/tmp}/psconfig-demo.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

PSCONFIG_SIM_DIR="$work/sim"
PSCONFIG_AUDIT_LOG="$work/audit.jsonl"
# The sync account's password, for the simulator only. A real spec reads it from a
# secret store through the same ${env:CLEVER_SYNC_PASSWORD} reference.
CLEVER_SYNC_PASSWORD="demo-only-Cl3ver-sync"
export PSCONFIG_SIM_DIR PSCONFIG_AUDIT_LOG CLEVER_SYNC_PASSWORD

step() {
    expected=$1
    shift
    printf '\n$ psconfig %s\n' "$*"
    psconfig "$@"
    code=$?
    if [ "$code" -ne "$expected" ]; then
        printf 'demo failed: `psconfig %s` exited %s, expected %s\n' \
            "$*" "$code" "$expected" >&2
        exit 1
    fi
    printf '(exit %s, as expected)\n' "$code"
}

step 2 plan "$spec"
step 0 apply "$spec" --auto-approve
step 0 plan "$spec"

printf '\nDemo complete: the second plan is empty, the simulated PowerSchool matches %s.\n' \
    "$spec"
