# shellcheck shell=bash
# lib.sh - helpers for integration tests. Source it from a test-*.sh script:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# ctest runs each tests/integration/test-*.sh with LARCH (the built binary)
# and LARCH_SOURCE_DIR (the source tree) in the environment. Run by hand,
# they default to build/tools/larch and the checkout this file is in.
#
# Exit codes: 0 pass, 1 fail, 77 skip (ctest maps 77 to "skipped" through
# the SKIP_RETURN_CODE test property).
set -euo pipefail

LARCH_SOURCE_DIR=${LARCH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LARCH=${LARCH:-$LARCH_SOURCE_DIR/build/tools/larch}
TREE_COMPARE="$LARCH_SOURCE_DIR/tests/integration/tree_compare.py"
export LARCH LARCH_SOURCE_DIR TREE_COMPARE

# Name of the running test, for messages.
TEST_NAME=$(basename "$0" .sh)

log() { printf '[%s +%ss] %s\n' "$TEST_NAME" "$SECONDS" "$*" >&2; }

fail() {
    printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*" >&2
    exit 1
}

skip() {
    printf '[%s] SKIP: %s\n' "$TEST_NAME" "$*" >&2
    exit 77
}

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
    [ "$1" == "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
    [[ "$1" == *"$2"* ]] || fail "${3:-output} does not contain '$2': $1"
}

# assert_exit CODE CMD... : run CMD, require exit status CODE. Its stdout and
# stderr are kept in $LAST_STDOUT / $LAST_STDERR for further checks, and
# shown on failure so a failing test explains itself.
LAST_STDOUT=""
LAST_STDERR=""
assert_exit() {
    local want=$1; shift
    local out err rc=0
    out=$(mktemp) err=$(mktemp)
    "$@" >"$out" 2>"$err" || rc=$?
    LAST_STDOUT=$(cat "$out")
    LAST_STDERR=$(cat "$err")
    rm -f "$out" "$err"
    if [ "$rc" -ne "$want" ]; then
        printf '%s\n' "--- stdout of: $*" "$LAST_STDOUT" "--- stderr:" "$LAST_STDERR" >&2
        fail "expected exit $want, got $rc: $*"
    fi
}

# larch ARGS... : the binary under test, echoed so logs show every step.
larch() {
    log "+ larch $*"
    "$LARCH" "$@"
}

require_larch() {
    [ -x "$LARCH" ] || fail "larch binary not found at $LARCH (build first)"
}

# Scratch space: one directory per test run, created here in the main shell
# so the EXIT trap knows it even when tmpdir is called as D=$(tmpdir) (a
# subshell). It is removed when the script exits. LARCH_KEEP_TMP=1 keeps it;
# LARCH_KEEP_TMP=failed keeps it only when the test failed (post-mortem).
# Under /var/tmp, not /tmp: /tmp is often a small tmpfs, and tmpfs drops
# user.* xattrs on older kernels - both break tests that copy a root
# filesystem. (Do not set another EXIT trap in a test; extend _larch_cleanup.)
LARCH_TEST_TMP=$(mktemp -d "${LARCH_TMP:-${TMPDIR:-/var/tmp}}/larch-${TEST_NAME}.XXXXXX")

# larch_on_exit FUNCTION: call FUNCTION (no arguments) when the script exits,
# before the scratch space is removed: stop servers and processes a test
# started. Hooks run last-registered first; a failing hook is ignored.
LARCH_EXIT_HOOKS=()
larch_on_exit() { LARCH_EXIT_HOOKS+=("$1"); }

_larch_cleanup() {
    local rc=$?
    local i
    for ((i = ${#LARCH_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
        "${LARCH_EXIT_HOOKS[i]}" || true
    done
    local keep=${LARCH_KEEP_TMP:-0}   # 1: always keep; failed: keep if failed
    if [ "$keep" = failed ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
        keep=1
    fi
    if [ "$keep" = 1 ]; then
        log "keeping $LARCH_TEST_TMP"
    else
        # --one-file-system: never descend into something mounted there.
        rm -rf --one-file-system "$LARCH_TEST_TMP"
    fi
    exit "$rc"
}
trap _larch_cleanup EXIT

# tmpdir [NAME]: print a fresh empty directory inside the scratch space.
tmpdir() {
    if [ $# -gt 0 ]; then
        mkdir "$LARCH_TEST_TMP/$1"
        printf '%s\n' "$LARCH_TEST_TMP/$1"
    else
        mktemp -d "$LARCH_TEST_TMP/tmp.XXXXXX"
    fi
}

# corpus_dir: print the corpus cache holding v1 v2 v3, building it with
# tools/make-corpus.sh (through tools/ensure-corpus.sh) if missing (minutes, needs root and
# debootstrap). Skips the test only when building is impossible here.
# Call it as a plain assignment, CORPUS=$(corpus_dir), so that its exit
# status (77 for skip) ends the script through set -e; "local x=$(...)"
# would swallow it.
corpus_dir() {
    local dir rc=0
    dir=$(bash "$LARCH_SOURCE_DIR/tools/ensure-corpus.sh") || rc=$?
    case $rc in
        0) printf '%s\n' "$dir" ;;
        77) skip "no corpus and it cannot be built here (needs root and debootstrap)" ;;
        *) fail "building the corpus failed (exit $rc)" ;;
    esac
}

# tree_compare A B [OPTIONS]: fail unless the trees are equal.
tree_compare() {
    local a=$1 b=$2; shift 2
    log "+ tree_compare $* $a $b"
    python3 "$TREE_COMPARE" "$@" "$a" "$b" >&2 || fail "trees differ: $a vs $b"
}
