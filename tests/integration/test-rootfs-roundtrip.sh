#!/bin/bash
# ctest-labels: slow
# Acceptance test "exact round trip": a real Debian root filesystem (corpus
# v1), enriched with the metadata cases the corpus lacks, goes into an archive
# repo and a bare repo and comes back out bit for bit: content, type, full
# mode, owner, xattrs (incl. security.capability) and hard links.
#
#   archive repo -> checkout --mode copy      compared with --links exact
#   bare repo    -> checkout --mode hardlink  compared with --links superset
#
# Why superset for hard-link mode: a hard-link checkout links every path to
# the store file of its content object, and a content object is content plus
# metadata (mode, uid, gid, xattrs). So all paths with the same object share
# one inode in the checkout - e.g. every empty root-owned 0644 file - though
# they were separate files in the source. Links present in the source must
# still be there (they are the same object), hence "every source group is
# linked in the checkout too", not equality.
#
# Also: device nodes and FIFOs are refused (exit 7, naming the path) unless
# --skip-special, which skips them and says so on stderr.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_larch
[ "$(id -u)" -eq 0 ] || skip "needs root: the tree holds files of other owners and setuid files"
CORPUS=$(corpus_dir)
V1=$CORPUS/v1

# set_xattr PATH NAME HEX: set an xattr with exact bytes (python: no
# dependency on the attr package, and binary values are easy).
set_xattr() {
    python3 -c 'import os, sys; os.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]), follow_symlinks=False)' "$@"
}

# --------------------------------------------------------------- special files
log "special files: refused without --skip-special, skipped with it"
SPECIAL=$(tmpdir special)
mkdir -p "$SPECIAL/src/run" "$SPECIAL/src/etc"
echo "plain file" > "$SPECIAL/src/etc/plain"
mkfifo "$SPECIAL/src/run/larch.fifo"
specials=(run/larch.fifo)
# A device node too, where this machine lets us make one (a container may not).
if mknod "$SPECIAL/src/run/larch-null" c 1 3 2>/dev/null; then
    specials+=(run/larch-null)
else
    log "mknod not permitted here; testing the FIFO only"
fi
larch init --repo "$SPECIAL/repo" --mode archive

assert_exit 7 "$LARCH" commit --repo "$SPECIAL/repo" --branch special --tree "$SPECIAL/src"
# Either special file may be the first one met; the message must name it.
named=0
for p in "${specials[@]}"; do
    [[ "$LAST_STDERR" == *"$p"* ]] && named=1
done
[ "$named" = 1 ] || fail "refusal does not name the special file: $LAST_STDERR"
# The refused commit must not have created the branch.
assert_exit 3 "$LARCH" checkout --repo "$SPECIAL/repo" special "$SPECIAL/nothing"
[ ! -e "$SPECIAL/nothing" ] || fail "failed checkout left $SPECIAL/nothing behind"

assert_exit 0 "$LARCH" commit --repo "$SPECIAL/repo" --branch special --tree "$SPECIAL/src" --skip-special
[[ "$LAST_STDOUT" =~ ^[0-9a-f]{64}$ ]] || fail "commit did not print a commit id: $LAST_STDOUT"
for p in "${specials[@]}"; do
    assert_contains "$LAST_STDERR" "$p" "--skip-special stderr"
done
larch checkout --repo "$SPECIAL/repo" --mode copy special "$SPECIAL/out"
excl=()
for p in "${specials[@]}"; do excl+=(--exclude "$p"); done
tree_compare "$SPECIAL/src" "$SPECIAL/out" --links exact "${excl[@]}"
for p in "${specials[@]}"; do
    [ ! -e "$SPECIAL/out/$p" ] || fail "$p was checked out although skipped"
done

# --------------------------------------------------------------- source tree
# A copy, never the cache itself: the test adds files to it.
SRC=$LARCH_TEST_TMP/src
log "copying corpus v1 ($V1)"
cp -a "$V1" "$SRC"

log "adding the cases the corpus lacks"
# user xattr on a file, and on a directory
echo "xattr test" > "$SRC/etc/larch-user-xattr"
set_xattr "$SRC/etc/larch-user-xattr" user.test "$(printf 'hello\0world' | od -An -tx1 | tr -d ' \n')"
mkdir "$SRC/etc/larch-xattr-dir"
set_xattr "$SRC/etc/larch-xattr-dir" user.test "01ff00"
# File capability: the same bytes as /usr/bin/true, so only the xattr tells
# the two objects apart. setcap where present, else the raw VFS v2 blob for
# cap_net_raw+ep (magic 0x02000000 | effective, permitted bit 13).
cp -a "$SRC/usr/bin/true" "$SRC/usr/bin/larch-cap-true"
if command -v setcap >/dev/null 2>&1; then
    setcap cap_net_raw+ep "$SRC/usr/bin/larch-cap-true"
else
    set_xattr "$SRC/usr/bin/larch-cap-true" security.capability \
        0100000200200000000000000000000000000000
fi
# setuid/setgid file, setgid dir, sticky dir, setgid+sticky dir
install -m 4755 "$SRC/usr/bin/true" "$SRC/usr/local/bin/larch-suid"
install -m 2711 "$SRC/usr/bin/true" "$SRC/usr/local/bin/larch-sgid"
install -d -m 2775 "$SRC/srv/larch-setgid-dir"
install -d -m 1777 "$SRC/srv/larch-sticky-dir"
install -d -m 3770 "$SRC/srv/larch-sgid-sticky-dir"
# empty directories, one nested in another
mkdir -p "$SRC/srv/larch-empty/nested-empty"
# unusual modes: no permissions at all, and a private dir
install -m 0000 /dev/null "$SRC/etc/larch-mode-0000"
install -d -m 0700 "$SRC/srv/larch-private"
# other owners, numeric ids that no name maps to
echo "owned" > "$SRC/srv/larch-owned"
chown 1234:5678 "$SRC/srv/larch-owned"
install -d -o 1234 -g 5678 -m 0750 "$SRC/srv/larch-owned-dir"
ln -s ../etc/hostname "$SRC/srv/larch-owned-dir/link"
chown -h 1234:5678 "$SRC/srv/larch-owned-dir/link"
# hard links: a pair in one dir, and a pair across dirs
echo "linked" > "$SRC/etc/larch-link-a"
ln "$SRC/etc/larch-link-a" "$SRC/etc/larch-link-b"
ln "$SRC/etc/larch-link-a" "$SRC/srv/larch-link-c"
# names with spaces, UTF-8 and a leading dash; an empty file; a dangling
# symlink and a symlink to a directory
mkdir "$SRC/srv/larch names"
echo "x" > "$SRC/srv/larch names/with space"
echo "y" > "$SRC/srv/larch names/ünïcödé-名前"
echo "z" > "$SRC/srv/larch names/-dash"
: > "$SRC/srv/larch names/empty"
ln -s /nonexistent/target "$SRC/srv/larch names/dangling"
ln -s ../../usr/share "$SRC/srv/larch names/dirlink"

# The additions must really be there, or the test proves nothing.
python3 - "$SRC" <<'EOF'
import os, stat, sys
r = sys.argv[1]
p = lambda rel: os.path.join(r, rel)
assert os.getxattr(p("etc/larch-user-xattr"), "user.test") == b"hello\0world"
assert os.getxattr(p("usr/bin/larch-cap-true"), "security.capability")
assert os.stat(p("usr/local/bin/larch-suid")).st_mode & stat.S_ISUID
assert os.stat(p("srv/larch-sticky-dir")).st_mode & stat.S_ISVTX
assert os.stat(p("srv/larch-owned")).st_uid == 1234
assert os.stat(p("srv/larch-owned")).st_gid == 5678
assert os.stat(p("etc/larch-link-a")).st_nlink == 3
EOF

# --------------------------------------------------------------- commit
log "commit into an archive repo and a bare repo"
ARCHIVE=$LARCH_TEST_TMP/archive
BARE=$LARCH_TEST_TMP/bare
larch init --repo "$ARCHIVE" --mode archive
larch init --repo "$BARE" --mode bare

start=$SECONDS
archive_commit=$(larch commit --repo "$ARCHIVE" --branch test/v1 --tree "$SRC" -s "roundtrip v1")
log "archive commit $archive_commit ($((SECONDS - start)) s)"
[[ "$archive_commit" =~ ^[0-9a-f]{64}$ ]] || fail "archive commit printed '$archive_commit'"

start=$SECONDS
bare_commit=$(larch commit --repo "$BARE" --branch test/v1 --tree "$SRC" -s "roundtrip v1" \
    --metadata version=v1)
log "bare commit $bare_commit ($((SECONDS - start)) s)"
[[ "$bare_commit" =~ ^[0-9a-f]{64}$ ]] || fail "bare commit printed '$bare_commit'"

# --------------------------------------------------------------- checkout
log "checkout: archive -> copy mode (by branch), bare -> hard-link mode (by commit id)"
larch checkout --repo "$ARCHIVE" --mode copy test/v1 "$LARCH_TEST_TMP/co-copy"
larch checkout --repo "$BARE" --mode hardlink "$bare_commit" "$LARCH_TEST_TMP/co-hard"

# A checkout never writes into a directory that already has content.
mkdir "$LARCH_TEST_TMP/exists"
echo "keep me" > "$LARCH_TEST_TMP/exists/file"
rc=0
"$LARCH" checkout --repo "$ARCHIVE" test/v1 "$LARCH_TEST_TMP/exists" 2>/dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "checkout into a non-empty directory succeeded"
assert_eq "keep me" "$(cat "$LARCH_TEST_TMP/exists/file")" "content of the refused target"

# --------------------------------------------------------------- compare
tree_compare "$SRC" "$LARCH_TEST_TMP/co-copy" --links exact
tree_compare "$SRC" "$LARCH_TEST_TMP/co-hard" --links superset

# Hard-link mode must really link into the store, not quietly copy: a file
# nobody else in the tree shares still has a second link (the object).
nlink=$(stat -c %h "$LARCH_TEST_TMP/co-hard/usr/lib/modules/6.1.0-test/vmlinuz")
[ "$nlink" -ge 2 ] || fail "hard-link checkout did not link into the store (nlink $nlink)"
# Copy mode must not share inodes with anything.
nlink=$(stat -c %h "$LARCH_TEST_TMP/co-copy/usr/lib/modules/6.1.0-test/vmlinuz")
assert_eq 1 "$nlink" "copy-mode link count of vmlinuz"

# --------------------------------------------------------------- fsck
log "fsck both repos"
assert_exit 0 "$LARCH" fsck --repo "$ARCHIVE"
assert_exit 0 "$LARCH" fsck --repo "$BARE"

log "PASS"
