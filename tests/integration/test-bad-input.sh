#!/bin/bash
# Bad input to the real binary: every refused command exits with the code of
# tools/larch/exit_codes.h, says why on stderr, and changes nothing - not
# the store (its state is snapshotted before each command and compared
# after), not a checkout target, not what a symlinked target points to.
#
#   2 usage: unknown verb, missing argument, invalid ref name, not a store
#   4 corruption: a damaged object met by cat or checkout
#   1 error: checkout target exists (non-empty, or a symlink)
#   7 unsupported: a FIFO in a committed tree
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=damage.sh
source "$(dirname "${BASH_SOURCE[0]}")/damage.sh"

require_larch

WORK=$(tmpdir work)
SRC=$WORK/src
mkdir -p "$SRC/etc" "$SRC/bin"
printf 'hello larch\n' > "$SRC/etc/motd"
printf 'NAME=test\n' > "$SRC/etc/os-release"
printf '#!/bin/sh\necho tool\n' > "$SRC/bin/tool"
chmod 0755 "$SRC/bin/tool"
STORE=$WORK/store
larch init --repo "$STORE" --mode archive >/dev/null
larch commit --repo "$STORE" --branch main --tree "$SRC" -s "bad input test" >/dev/null

# refused DIR CODE NEEDLE CMD...: CMD must exit CODE, say NEEDLE on stderr,
# and leave DIR exactly as it was.
refused() {
    local dir=$1 code=$2 needle=$3
    shift 3
    local before
    before=$(tree_state "$dir")
    assert_exit "$code" "$@"
    assert_contains "$LAST_STDERR" "$needle" "stderr of: $*"
    assert_eq "$before" "$(tree_state "$dir")" "state of $dir after: $*"
}

# ------------------------------------------------------------ not a store
log "a directory that is not a store"
mkdir "$WORK/notastore"
refused "$WORK/notastore" 2 "not a larch store" "$LARCH" --repo "$WORK/notastore" refs
refused "$WORK/notastore" 2 "not a larch store" "$LARCH" --repo "$WORK/notastore" fsck
# A path that does not exist is "not found" (exit 3), and is not created.
assert_exit 3 "$LARCH" --repo "$WORK/nothing-here" refs
assert_contains "$LAST_STDERR" "$WORK/nothing-here" "stderr for a missing store"
[ ! -e "$WORK/nothing-here" ] || fail "a read command created $WORK/nothing-here"
# init never takes over a directory that has content.
mkdir "$WORK/busy"
echo "precious" > "$WORK/busy/file"
refused "$WORK/busy" 1 "not empty" "$LARCH" init --repo "$WORK/busy"

# ------------------------------------------------------------ usage errors
log "usage errors: exit 2, store untouched"
refused "$STORE" 2 "unknown command 'frobnicate'" "$LARCH" --repo "$STORE" frobnicate
refused "$STORE" 2 "path is required" "$LARCH" --repo "$STORE" cat main
refused "$STORE" 2 "target is required" "$LARCH" --repo "$STORE" checkout main
refused "$STORE" 2 "--tree is required" "$LARCH" --repo "$STORE" commit --branch main
refused "$STORE" 2 "to is required" "$LARCH" --repo "$STORE" diff main
refused "$STORE" 2 "--bogus" "$LARCH" --repo "$STORE" fsck --bogus
refused "$STORE" 2 "copy" "$LARCH" --repo "$STORE" checkout --mode sideways main "$WORK/never"
[ ! -e "$WORK/never" ] || fail "a refused checkout created its target"

log "invalid ref names: exit 2, nothing written"
for ref in 'a/../b' '../escape' '/abs' 'x//y' '.hidden' 'has space'; do
    refused "$STORE" 2 "invalid ref name" "$LARCH" --repo "$STORE" commit --branch "$ref" --tree "$SRC"
done
refused "$STORE" 2 "invalid ref name" "$LARCH" --repo "$STORE" refs --delete '../../config'

log "--help works for every verb"
assert_exit 0 "$LARCH" --help
for verb in init commit log show ls cat refs diff checkout fsck prune; do
    assert_exit 0 "$LARCH" "$verb" --help
    assert_contains "$LAST_STDOUT" "Usage: larch $verb" "$verb --help"
done

# ------------------------------------------------------------ checkout targets
log "checkout into a symlink: refused, the pointed-to directory untouched"
CO=$WORK/co
mkdir "$CO" "$WORK/elsewhere"
# An empty directory would be a valid target; reached through a symlink it
# must not be written, or replaced by the rename that ends a checkout.
ln -s ../elsewhere "$CO/link"
elsewhere_before=$(tree_state "$WORK/elsewhere")
refused "$CO" 1 "symlink" "$LARCH" --repo "$STORE" checkout main "$CO/link"
refused "$CO" 1 "symlink" "$LARCH" --repo "$STORE" checkout main "$CO/link/"
assert_eq "$elsewhere_before" "$(tree_state "$WORK/elsewhere")" "the symlink's target directory"
[ -L "$CO/link" ] || fail "$CO/link is no longer a symlink"

log "checkout into a non-empty directory: refused, content kept"
mkdir "$CO/full"
echo "keep me" > "$CO/full/file"
refused "$CO" 1 "not empty" "$LARCH" --repo "$STORE" checkout main "$CO/full"
assert_eq "keep me" "$(cat "$CO/full/file")" "file in the refused target"

# ------------------------------------------------------------ special files
log "a FIFO in the tree: exit 7 naming it; --skip-special leaves it out"
SPECIAL=$WORK/special
mkdir -p "$SPECIAL/run"
echo "plain" > "$SPECIAL/plain"
mkfifo "$SPECIAL/run/pipe"
refused "$STORE" 7 "/run/pipe" "$LARCH" --repo "$STORE" commit --branch special --tree "$SPECIAL"
assert_exit 3 "$LARCH" --repo "$STORE" log special
assert_exit 0 "$LARCH" --repo "$STORE" commit --branch special --tree "$SPECIAL" --skip-special
assert_contains "$LAST_STDERR" "/run/pipe" "stderr of commit --skip-special"
assert_exit 0 "$LARCH" --repo "$STORE" ls --recursive special
assert_contains "$LAST_STDOUT" "/plain" "ls of the special commit"
[[ "$LAST_STDOUT" != *pipe* ]] || fail "the skipped FIFO is in the commit: $LAST_STDOUT"

# ------------------------------------------------------------ corrupt objects
# Each on its own copy of the store; reading commands must refuse with exit
# 4 and name the object, and a checkout must leave nothing behind.
MOTD=$(object_of "$STORE" main /etc/motd)
[ -f "$STORE/$MOTD" ] || fail "object of /etc/motd not at $STORE/$MOTD"

log "truncated object: cat and checkout refuse"
TRUNC=$WORK/store-truncated
cp -a "$STORE" "$TRUNC"
truncate -s "$(($(stat -c %s "$TRUNC/$MOTD") - 1))" "$TRUNC/$MOTD"
refused "$TRUNC" 4 "$MOTD" "$LARCH" --repo "$TRUNC" cat main /etc/motd
mkdir "$WORK/out-trunc"
refused "$WORK/out-trunc" 4 "$MOTD" "$LARCH" --repo "$TRUNC" checkout main "$WORK/out-trunc/co"

log "flipped content byte: checkout refuses"
FLIP=$WORK/store-flipped
cp -a "$STORE" "$FLIP"
# The last byte: content of the small file's stored zstd block, so the
# frame still decodes and only the checksum can tell.
flip_byte "$FLIP/$MOTD" -1
mkdir "$WORK/out-flip"
refused "$WORK/out-flip" 4 "$MOTD" "$LARCH" --repo "$FLIP" checkout main "$WORK/out-flip/co"
refused "$FLIP" 4 "$MOTD" "$LARCH" --repo "$FLIP" checkout main "$WORK/out-flip/co2"

# Last, so that a failure here does not hide the checks above: cat must not
# print bytes that do not match the object's checksum and exit 0.
log "flipped content byte: cat refuses"
refused "$FLIP" 4 "$MOTD" "$LARCH" --repo "$FLIP" cat main /etc/motd

log "PASS"
