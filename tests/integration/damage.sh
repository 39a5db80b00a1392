# shellcheck shell=bash
# damage.sh - helpers for tests that damage a store on purpose and check
# that larch notices (and changes nothing). Source it after lib.sh:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/damage.sh"

# flip_byte FILE OFFSET: XOR one byte with 0xff in place: same inode, same
# mode (root may write read-only objects). A negative OFFSET counts from
# the end.
flip_byte() {
    python3 - "$1" "$2" <<'EOF'
import sys
path, offset = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    data = bytearray(f.read())
    data[offset] ^= 0xFF
    f.seek(0)
    f.write(data)
EOF
}

# object_of STORE REV PATH: the store-relative path (objects/xx/<62 hex>.file)
# of the object holding PATH in REV.
object_of() {
    "$LARCH" ls --repo "$1" --json "$2" "$3" |
        python3 -c 'import json, sys; i = json.load(sys.stdin)[0]["id"]; print(f"objects/{i[:2]}/{i[2:]}.file")'
}

# tree_state DIR: one hash over every entry below DIR (name, type, size,
# mode, owner, symlink target) and every file's content. find does not
# follow symlinks, so a symlink is compared as the link itself.
tree_state() {
    (cd "$1" && find . -printf '%p %y %s %m %U:%G %l\n' | LC_ALL=C sort &&
        find . -type f -exec sha256sum {} + | LC_ALL=C sort) | sha256sum
}
