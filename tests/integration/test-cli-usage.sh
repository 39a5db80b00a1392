#!/bin/bash
# The command line as people meet it (docs/cli.md):
#   - a mistyped verb or sub-verb is named, with the closest verbs, exit 2;
#   - `larch` alone and a verb group alone print their verbs on stdout, exit 2;
#   - CLI11's own parse errors come out as "larch VERB: error: MESSAGE", exit 2;
#   - sizes: 1M, 500k, 2G, plain bytes; garbage and overflow refused, exit 2;
#   - counts and indexes: decimal digits only; signs, hex, overflow and
#     values above the option's bound refused, exit 2;
#   - errors name paths absolute, whatever the command line gave.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_larch
W=$(tmpdir work)
cd "$W"

# usage_error STDERR_LINE ARGS...: larch ARGS exits 2 and stderr is exactly that line.
usage_error() {
    local want=$1; shift
    assert_exit 2 "$LARCH" "$@"
    assert_eq "$want" "$LAST_STDERR" "stderr of larch $*"
}

log "typos in verbs and sub-verbs"
usage_error "larch: unknown command 'upgarde' for 'larch admin'; did you mean 'upgrade'?" admin upgarde
usage_error "larch: unknown command 'genrate' for 'larch delta'; did you mean 'generate'?" delta genrate
usage_error "larch: unknown command 'comit' for 'larch'; did you mean 'commit'?" comit
usage_error "larch: unknown command 'comit' for 'larch'; did you mean 'commit'?" --repo "$W" comit -b x
usage_error "larch: unknown command 'remvoe' for 'larch remote'; did you mean 'remove'?" remote remvoe origin
usage_error "larch: unknown command 'shwo' for 'larch'; did you mean 'show'?" shwo main
usage_error "larch: unknown command 'pinn' for 'larch admin'; did you mean 'pin'?" admin pinn 1
usage_error "larch: unknown command 'upin' for 'larch admin'; did you mean 'pin' or 'unpin'?" admin upin 1
usage_error "larch: unknown command 'adm' for 'larch'; did you mean 'admin'?" adm
usage_error "larch: unknown command 'frobnicate' for 'larch'; see larch --help" frobnicate
usage_error "larch: unknown command 'xyzzy' for 'larch admin'; see larch admin --help" --repo "$W" admin xyzzy
# An unknown option is CLI11's to name, not taken for a verb's value.
assert_exit 2 "$LARCH" --bogus value commit
assert_contains "$LAST_STDERR" "larch commit: error: "
[[ $LAST_STDERR != *"unknown command"* ]] || fail "--bogus value taken for a verb: $LAST_STDERR"
# A verb's own arguments are not verbs, even when they look like one.
assert_exit 3 "$LARCH" --repo "$W/none" log comit
assert_contains "$LAST_STDERR" "larch log: error:"

log "larch alone, and a group alone: the verbs, exit 2 (as git)"
assert_exit 2 "$LARCH"
assert_contains "$LAST_STDOUT" "Subcommands:"
assert_contains "$LAST_STDOUT" "admin"
assert_eq "" "$LAST_STDERR" "stderr of a bare larch"
assert_eq "$("$LARCH" --help)" "$LAST_STDOUT" "a bare larch prints what --help prints"
assert_exit 2 "$LARCH" admin
assert_contains "$LAST_STDOUT" "upgrade"
assert_exit 2 "$LARCH" --repo "$W" delta
assert_contains "$LAST_STDOUT" "generate"
assert_exit 0 "$LARCH" admin --help
assert_exit 0 "$LARCH" admin upgrade --help
assert_contains "$LAST_STDOUT" "--max-rate"
assert_exit 0 "$LARCH" --version
assert_contains "$LAST_STDOUT" "larch "

log "CLI11's parse errors in the larch VERB: error: form"
usage_error "larch commit: error: --tree is required" commit -b main
usage_error "larch admin upgrade: error: --tries: Value 0 not in range 1 to 99" admin upgrade --tries 0
assert_exit 2 "$LARCH" log main -n many
assert_contains "$LAST_STDERR" "larch log: error: "
assert_contains "$LAST_STDERR" "many"
assert_exit 2 "$LARCH" fsck --bogus
assert_contains "$LAST_STDERR" "larch fsck: error: "
assert_contains "$LAST_STDERR" "--bogus"
assert_exit 2 "$LARCH" --bogus
assert_contains "$LAST_STDERR" "larch: error: "
assert_exit 2 "$LARCH" pull origin
assert_contains "$LAST_STDERR" "larch pull: error: REF is required"
assert_exit 2 "$LARCH" admin upgrade --check --reboot
assert_contains "$LAST_STDERR" "larch admin upgrade: error: "

log "sizes: --max-rate of pull and admin upgrade"
# A size that parses gets past the option parser to the missing store (3),
# a bad one stops there with the option named (2).
for good in 0 4096 500k 1M 2G 1t 18446744073709551615 16777215T; do
    assert_exit 3 "$LARCH" --repo "$W/none" pull origin os/stable --max-rate "$good"
    assert_contains "$LAST_STDERR" "opening store $W/none" "pull --max-rate $good"
done
for bad in 1.5M 1MB -1 '' M 1P 0x10; do
    usage_error "larch pull: error: --max-rate: expects a size in bytes like 4096, 500k, 1M or 2G, got '$bad'" \
        pull origin os/stable --max-rate "$bad"
done
for big in 18446744073709551616 16777216T 99999999999999999999999G; do
    usage_error "larch pull: error: --max-rate: '$big' is too large (at most 18446744073709551615 bytes)" \
        pull origin os/stable --max-rate "$big"
    usage_error "larch admin upgrade: error: --max-rate: '$big' is too large (at most 18446744073709551615 bytes)" \
        admin upgrade --max-rate "$big"
done
usage_error "larch admin upgrade: error: --max-rate: expects a size in bytes like 4096, 500k, 1M or 2G, got 'fast'" \
    admin upgrade --max-rate fast

log "counts: indexes, limits, thresholds, timestamps"
# CLI11 alone took "-1" as 2^64-1 and a 64-bit overflow as the largest value.
COUNT="expects a whole number like 0, 3 or 20"
for bad in -1 +1 0x10 1k 1.0 ''; do
    usage_error "larch admin undeploy: error: INDEX: $COUNT, got '$bad'" admin undeploy -- "$bad"
    usage_error "larch log: error: --max-count: $COUNT, got '$bad'" log main --max-count "$bad"
    usage_error "larch commit: error: --timestamp: $COUNT, got '$bad'" commit -b main --tree . --timestamp "$bad"
done
for big in 4294967296 18446744073709551615 18446744073709551616 99999999999999999999999; do
    usage_error "larch admin undeploy: error: INDEX: '$big' is too large (at most 4294967295)" admin undeploy "$big"
    usage_error "larch admin history: error: --limit: '$big' is too large (at most 4294967295)" admin history -n "$big"
    usage_error "larch pull: error: --retries: '$big' is too large (at most 4294967295)" pull origin os/stable --retries "$big"
done
usage_error "larch remote add: error: --threshold: '65' is too large (at most 64)" remote add o http://x --keyring . --threshold 65
usage_error "larch verify: error: --threshold: '65' is too large (at most 64)" verify main --keyring . --threshold 65
usage_error "larch commit: error: --timestamp: '253402300800' is too large (at most 253402300799)" \
    commit -b main --tree . --timestamp 253402300800
usage_error "larch admin rollback: error: --tries: '100' is too large (at most 99)" admin rollback --tries 100
usage_error "larch init: error: --compression-level: '20' is too large (at most 19)" init --compression-level 20
# Decimal, not octal: 010 is ten, which gets past the parser to the missing store.
assert_exit 3 "$LARCH" --repo "$W/none" log main --max-count 010
assert_exit 3 "$LARCH" --repo "$W/none" log main --max-count 4294967295

log "errors name absolute paths"
assert_exit 3 "$LARCH" --repo nowhere refs
assert_contains "$LAST_STDERR" "$W/nowhere"
assert_exit 3 env LARCH_REPO=nowhere "$LARCH" refs
assert_contains "$LAST_STDERR" "$W/nowhere"
assert_exit 2 "$LARCH" refs
assert_contains "$LAST_STDERR" "$W is not a larch store"
"$LARCH" --repo store init >/dev/null
assert_exit 3 "$LARCH" --repo store commit -b main --tree missing-tree
assert_contains "$LAST_STDERR" "larch commit: error: "
assert_contains "$LAST_STDERR" "$W/missing-tree"
assert_exit 3 "$LARCH" key id missing.pub
assert_contains "$LAST_STDERR" "$W/missing.pub"
assert_exit 3 "$LARCH" admin status --sysroot missing-sysroot
assert_contains "$LAST_STDERR" "$W/missing-sysroot"
log "ok"
