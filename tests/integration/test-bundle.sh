#!/bin/bash
# Offline bundles: `larch bundle create` writes one signed file; `larch
# bundle apply` verifies it with the same rules as a pull (keyring,
# threshold, compatible ids, rollback) and applies it. Each bad bundle is
# refused with a message naming what was wrong and leaves the device's
# objects and refs as they were: a bundle signed by an untrusted key, a
# bundle for another board, a truncated bundle, trailing bytes, a delta
# superblock's signature presented as a bundle's, an older version.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=damage.sh
source "$(dirname "${BASH_SOURCE[0]}")/damage.sh"

require_larch
W=$(tmpdir work)

# Two versions of a small tree: a changed "binary", a changed text file, a
# new file and a symlink.
make_tree() {   # make_tree DIR VERSION
    mkdir -p "$1/usr/bin" "$1/etc"
    python3 -c 'import random, sys; r = random.Random(7); sys.stdout.buffer.write(bytes(r.randrange(64) for _ in range(300000)) + b"v" + sys.argv[1].encode())' "$2" > "$1/usr/bin/tool"
    chmod 0755 "$1/usr/bin/tool"
    printf 'NAME=test\nVERSION=%s\n' "$2" > "$1/etc/os-release"
    ln -s tool "$1/usr/bin/link"
    [ "$2" = 1 ] || echo "new in $2" > "$1/etc/new"
}
make_tree "$W/v1" 1
make_tree "$W/v2" 2
META=(--metadata ref-binding=os/stable --metadata compatible=board-a)

larch key generate -o "$W/release" >/dev/null
larch key generate -o "$W/stranger" >/dev/null
mkdir "$W/keyring" "$W/strangers"
cp "$W/release.pub" "$W/keyring/"
cp "$W/stranger.pub" "$W/strangers/"

PUB=$W/pub
larch init --repo "$PUB" --mode archive >/dev/null
v1=$(larch commit --repo "$PUB" -b os/stable --tree "$W/v1" --timestamp 1700000000 --version 1 "${META[@]}" 2>/dev/null)
v2=$(larch commit --repo "$PUB" -b os/stable --tree "$W/v2" --timestamp 1700000100 --version 2 "${META[@]}" 2>/dev/null)
larch sign --repo "$PUB" "$v1" --key "$W/release.key" >/dev/null
larch sign --repo "$PUB" "$v2" --key "$W/release.key" >/dev/null

larch bundle create --repo "$PUB" --from empty --to "$v1" --sign-key "$W/release.key" "$W/full-v1.bundle"
larch bundle create --repo "$PUB" --from "$v1" --to "$v2" --sign-key "$W/release.key" "$W/v1-v2.bundle"
larch bundle create --repo "$PUB" --from "$v1" --to "$v2" --sign-key "$W/stranger.key" "$W/stranger.bundle"
assert_exit 0 "$LARCH" bundle show --json "$W/v1-v2.bundle"
assert_contains "$LAST_STDOUT" "\"to\": \"$v2\"" "bundle show"

DEV=$W/device
larch init --repo "$DEV" --mode archive >/dev/null
TRUST=(--ref os/stable --keyring "$W/keyring" --compatible board-a)

state() { tree_state "$DEV/objects"; tree_state "$DEV/refs"; ls -A "$DEV/tmp"; }
refused() {   # refused NEEDLE CODE BUNDLE [OPTIONS...]
    local needle=$1 code=$2 bundle=$3
    shift 3
    local before
    before=$(state)
    assert_exit "$code" "$LARCH" bundle apply --repo "$DEV" "$bundle" "$@"
    assert_contains "$LAST_STDERR" "$needle" "stderr of bundle apply $bundle"
    assert_eq "$before" "$(state)" "device store after a refused bundle"
}

log "a full bundle installs v1 on an empty device"
assert_exit 0 "$LARCH" bundle apply --repo "$DEV" "${TRUST[@]}" "$W/full-v1.bundle"
assert_eq "$v1" "$LAST_STDOUT" "installed commit"

log "bad bundles are refused, nothing changes"
refused "signature threshold not met" 5 "$W/stranger.bundle" "${TRUST[@]}"
refused "signature threshold not met" 5 "$W/v1-v2.bundle" --ref os/stable --keyring "$W/strangers"
refused "compatibility" 5 "$W/v1-v2.bundle" --ref os/stable --keyring "$W/keyring" --compatible board-z
refused "ref binding" 5 "$W/v1-v2.bundle" --ref os/testing --keyring "$W/keyring"
cp "$W/v1-v2.bundle" "$W/cut.bundle"
truncate -s -10 "$W/cut.bundle"
refused "truncated" 4 "$W/cut.bundle" "${TRUST[@]}"
cp "$W/v1-v2.bundle" "$W/long.bundle"
printf 'junk' >> "$W/long.bundle"
refused "trailing bytes" 4 "$W/long.bundle" "${TRUST[@]}"
cp "$W/v1-v2.bundle" "$W/flip.bundle"
flip_byte "$W/flip.bundle" -100
refused "does not match its SHA-256" 4 "$W/flip.bundle" "${TRUST[@]}"
# A delta superblock (kind delta) is not a bundle header, even when signed.
larch delta generate --repo "$PUB" --from "$v1" --to "$v2" --sign-key "$W/release.key" >/dev/null
python3 - "$PUB/deltas/$v1-$v2" "$W/relabel.bundle" <<'PY'
import os, struct, sys
d, out = sys.argv[1], sys.argv[2]
sb = open(os.path.join(d, "superblock"), "rb").read()
parts = b"".join(open(os.path.join(d, str(i)), "rb").read() for i in range(len(os.listdir(d)) - 1))
open(out, "wb").write(b"LXBN" + bytes([1]) + struct.pack("<Q", len(sb)) + sb + parts)
PY
refused "kind" 4 "$W/relabel.bundle" "${TRUST[@]}"
refused "--ref is required" 2 "$W/v1-v2.bundle" --keyring "$W/keyring"

log "the good bundle brings the device to v2"
assert_exit 0 "$LARCH" bundle apply --repo "$DEV" "${TRUST[@]}" "$W/v1-v2.bundle"
assert_eq "$v2" "$LAST_STDOUT" "installed commit"
assert_exit 0 "$LARCH" fsck --repo "$DEV"
larch checkout --repo "$DEV" --mode copy os/stable "$W/co" >/dev/null
tree_compare "$W/v2" "$W/co" --links exact

log "rollback: the v1 bundle is refused now that v2 is installed"
refused "older than" 5 "$W/full-v1.bundle" "${TRUST[@]}"
log "PASS"
