#!/bin/bash
# `larch fsck` against the real binary. A clean store passes (exit 0). Each
# kind of damage a failing disk or a careless copy does is found (exit 4),
# and the report names the damaged object (objects/xx/<62 hex>.<type>) or
# the ref, because that is what an operator has to restore. Every damage is
# done to a fresh copy (cp -a) of the clean store, so one case cannot hide
# or cause another; fsck itself must change nothing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=damage.sh
source "$(dirname "${BASH_SOURCE[0]}")/damage.sh"

require_larch

WORK=$(tmpdir work)
SRC=$WORK/src
mkdir -p "$SRC/etc" "$SRC/bin"
# Long enough that zstd really compresses it (damage lands in a real
# compressed frame, not only in a stored block).
for i in $(seq 1 200); do echo "line $i of the message of the day"; done > "$SRC/etc/motd"
printf '#!/bin/sh\necho tool\n' > "$SRC/bin/tool"
chmod 0755 "$SRC/bin/tool"
: > "$SRC/empty"
ln -s etc/motd "$SRC/link"

# check_damage NAME NEEDLE DAMAGE...: copy the clean store to $CASE, run
# DAMAGE (a command that uses $CASE), then fsck must exit 4, name NEEDLE
# in its report, and leave the damaged store exactly as it found it.
check_damage() {
    local name=$1 needle=$2
    shift 2
    CASE=$WORK/$MODE-$name
    cp -a "$STORE" "$CASE"
    "$@"
    local before
    before=$(tree_state "$CASE")
    assert_exit 4 "$LARCH" fsck --repo "$CASE"
    assert_contains "$LAST_STDOUT" "$needle" "fsck report ($MODE store, $name)"
    assert_contains "$LAST_STDERR" "problem(s)" "fsck stderr ($MODE store, $name)"
    assert_eq "$before" "$(tree_state "$CASE")" "store after fsck ($MODE store, $name)"
}

damage_flip_last_byte() { flip_byte "$CASE/$MOTD" -1; }
damage_flip_middle_byte() { flip_byte "$CASE/$MOTD" "$(($(stat -c %s "$CASE/$MOTD") / 2 + 20))"; }
# Archive: the uid field of the header frame (u32 length, tag, version,
# kind, u32 mode, then uid). Bare: the header is the inode, so change mode.
damage_header() {
    if [ "$MODE" = archive ]; then flip_byte "$CASE/$MOTD" 11; else chmod 0600 "$CASE/$MOTD"; fi
}
damage_truncate() { truncate -s "$(($(stat -c %s "$CASE/$MOTD") / 2))" "$CASE/$MOTD"; }
damage_delete() { rm "$CASE/$MOTD"; }
damage_commit() { flip_byte "$CASE/$COMMIT_OBJ" -2; }
# A ref naming a commit the store does not have (e.g. a half-copied store).
damage_ghost_ref() { printf '%064d\n' 7 > "$CASE/refs/heads/ghost"; }
damage_garbage_ref() { echo "not a commit id" > "$CASE/refs/heads/junk"; }

for MODE in archive bare; do
    log "---- $MODE store"
    STORE=$WORK/$MODE
    larch init --repo "$STORE" --mode "$MODE" >/dev/null
    COMMIT=$(larch commit --repo "$STORE" --branch main --tree "$SRC" -s "fsck test")
    [[ "$COMMIT" =~ ^[0-9a-f]{64}$ ]] || fail "commit printed '$COMMIT'"
    COMMIT_OBJ=objects/${COMMIT:0:2}/${COMMIT:2}.commit
    MOTD=$(object_of "$STORE" main /etc/motd)
    [ -f "$STORE/$MOTD" ] || fail "object of /etc/motd not at $STORE/$MOTD"

    assert_exit 0 "$LARCH" fsck --repo "$STORE"
    assert_contains "$LAST_STDOUT" "1 commits, 1 refs: ok" "fsck of the clean $MODE store"
    assert_exit 0 "$LARCH" fsck --repo "$STORE" --json
    assert_contains "$LAST_STDOUT" '"ok": true' "fsck --json of the clean $MODE store"

    check_damage flip-last "$MOTD" damage_flip_last_byte
    check_damage flip-middle "$MOTD" damage_flip_middle_byte
    check_damage header "$MOTD" damage_header
    check_damage truncated "$MOTD" damage_truncate
    check_damage missing "$MOTD" damage_delete
    # A missing object is reported for the path that needs it.
    assert_contains "$LAST_STDOUT" "/etc/motd is missing" "fsck report ($MODE store, missing)"
    check_damage commit "$COMMIT_OBJ" damage_commit
    assert_contains "$LAST_STDOUT" "ref main names commit $COMMIT" "fsck report ($MODE store, commit)"
    check_damage ghost-ref "ref ghost" damage_ghost_ref
    check_damage garbage-ref "junk" damage_garbage_ref

    # --json carries the same verdict for scripts.
    assert_exit 4 "$LARCH" fsck --repo "$WORK/$MODE-missing" --json
    assert_contains "$LAST_STDOUT" '"ok": false' "fsck --json ($MODE store, missing)"
    assert_contains "$LAST_STDOUT" "$MOTD" "fsck --json ($MODE store, missing)"
done

log "PASS"
