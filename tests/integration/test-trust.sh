#!/bin/bash
# Signing and trust through the real binary: key generate, sign, verify,
# summary, remote add, pull from a file:// remote into a bare device store
# with its SQLite trust state. Every refusal exits with its code, names its
# rule or the bad input, and leaves the device store (objects, refs, state
# database) exactly as it was. The per-attack-class tests are
# repo/pull/pull_attack_test.cc; this script covers the command line and
# bad input files.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=damage.sh
source "$(dirname "${BASH_SOURCE[0]}")/damage.sh"

require_larch

W=$(tmpdir work)
SRV=$W/server DEV=$W/device RING=$W/keyring
mkdir -p "$RING" "$W/tree/usr/bin" "$W/tree/etc"
echo "app 1" > "$W/tree/usr/bin/app"
echo "VERSION=1.0" > "$W/tree/etc/os-release"

# device_state: every file of the device store except the state database
# and the scratch area tmp/ (where the download cache keeps verified
# downloads for resume), and the trust records in the database.
device_state() {
    (cd "$DEV" && find . \( -name 'state.db*' -o -path ./tmp \) -prune -o -printf '%p %y %s %m\n' | LC_ALL=C sort &&
        find . \( -name 'state.db*' -o -path ./tmp \) -prune -o -type f -exec sha256sum {} + | LC_ALL=C sort) | sha256sum
    "$LARCH" remote status --repo "$DEV" origin --json 2>/dev/null || echo "no trust state"
}

# refused_pull CODE NEEDLE [ARGS...]: a pull of origin os/stable exits CODE
# naming NEEDLE, changes neither the device store nor its trust records, and
# is recorded in the history as refused (5) or failed.
refused_pull() {
    local code=$1 needle=$2
    shift 2
    local before outcome
    before=$(device_state)
    assert_exit "$code" "$LARCH" pull --repo "$DEV" origin os/stable "$@"
    assert_contains "$LAST_STDERR" "$needle" "stderr of pull"
    assert_eq "$before" "$(device_state)" "device store and trust records after a refused pull"
    outcome=$("$LARCH" history --repo "$DEV" -n 1 --json | python3 -c 'import json,sys; e=json.load(sys.stdin)[0]; print(e["outcome"], e["detail"])')
    assert_contains "$outcome" "$([ "$code" = 5 ] && echo refused || echo failed)" "last history entry"
    assert_contains "$outcome" "$needle" "last history entry"
}

# refused DIR CODE NEEDLE CMD...: CMD exits CODE, says NEEDLE, changes nothing in DIR.
refused() {
    local dir=$1 code=$2 needle=$3
    shift 3
    local before
    before=$(tree_state "$dir")
    assert_exit "$code" "$@"
    assert_contains "$LAST_STDERR" "$needle" "stderr of: $*"
    assert_eq "$before" "$(tree_state "$dir")" "state of $dir after: $*"
}

log "keys"
larch key generate -o "$W/k1" >/dev/null
larch key generate -o "$W/k2" >/dev/null
assert_eq "600" "$(stat -c %a "$W/k1.key")" "private key mode"
assert_eq "$(larch key id "$W/k1.pub")" "$(larch key id "$W/k1.key")" "key id of both halves"
cp "$W/k1.pub" "$W/k2.pub" "$RING/"
assert_exit 1 "$LARCH" key generate -o "$W/k1"
assert_contains "$LAST_STDERR" "already exists"

log "publish v1"
larch init --repo "$SRV" --mode archive >/dev/null
V1=$(larch commit --repo "$SRV" --branch os/stable --tree "$W/tree" --version 1.0 --metadata compatible=board-a)
larch sign --repo "$SRV" os/stable -k "$W/k1.key" >/dev/null
larch summary --repo "$SRV" --update -k "$W/k1.key" >/dev/null
assert_exit 0 "$LARCH" verify --repo "$SRV" os/stable --keyring "$RING"
assert_exit 5 "$LARCH" verify --repo "$SRV" os/stable --keyring "$RING" --threshold 2
assert_contains "$LAST_STDERR" "1 valid signature by trusted keys of the keyring, 2 required"

log "device"
larch init --repo "$DEV" --mode bare >/dev/null
larch remote add --repo "$DEV" origin "file://$SRV" --keyring "$RING" --compatible board-a
larch pull --repo "$DEV" origin os/stable >/dev/null
assert_eq "$V1" "$(larch refs --repo "$DEV" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["origin:os/stable"])')" "pulled ref"
larch fsck --repo "$DEV" >/dev/null
larch checkout --repo "$DEV" origin:os/stable "$W/co" >/dev/null
assert_eq "app 1" "$(cat "$W/co/usr/bin/app")" "checked-out content"

log "refusals leave the device unchanged"
# v2 unsigned: arbitrary installation.
echo "app 2" > "$W/tree/usr/bin/app"
V2=$(larch commit --repo "$SRV" --branch os/stable --tree "$W/tree" --version 2.0 --metadata compatible=board-a)
larch summary --repo "$SRV" --update -k "$W/k1.key" >/dev/null
refused_pull 5 "signature threshold rule"
# Signed by a key outside the keyring.
larch key generate -o "$W/outsider" >/dev/null
larch sign --repo "$SRV" "$V2" -k "$W/outsider.key" >/dev/null
refused_pull 5 "not in keyring"
# Signed properly, then accepted.
larch sign --repo "$SRV" "$V2" -k "$W/k2.key" >/dev/null
larch pull --repo "$DEV" origin os/stable >/dev/null
# An older version after a newer one: refused, then allowed explicitly.
echo "app 1.5" > "$W/tree/usr/bin/app"
V15=$(larch commit --repo "$SRV" --branch os/stable --tree "$W/tree" --version 1.5 --metadata compatible=board-a)
larch sign --repo "$SRV" "$V15" -k "$W/k1.key" >/dev/null
larch summary --repo "$SRV" --update -k "$W/k1.key" >/dev/null
refused_pull 5 "version rule: version 1.5 is older than 2.0"
larch pull --repo "$DEV" origin os/stable --allow-downgrade >/dev/null
assert_contains "$(larch history --repo "$DEV" -n 1)" "(downgrade allowed)" "history of the downgrade"
assert_contains "$(larch remote status --repo "$DEV" origin)" "version 1.5" "remote status"

log "bad input files"
# A truncated summary.
cp "$SRV/summary" "$W/summary.good"
head -c 40 "$W/summary.good" > "$SRV/summary"
refused_pull 4 "summary"
cp "$W/summary.good" "$SRV/summary"
# A commitmeta whose last signature is one byte short (63 bytes).
echo "app 3" > "$W/tree/usr/bin/app"
V3=$(larch commit --repo "$SRV" --branch os/stable --tree "$W/tree" --version 3.0 --metadata compatible=board-a)
larch sign --repo "$SRV" "$V3" -k "$W/k1.key" >/dev/null
larch summary --repo "$SRV" --update -k "$W/k1.key" >/dev/null
META="$SRV/objects/${V3:0:2}/${V3:2}.commitmeta"
cp "$META" "$W/meta.good"
head -c $(( $(stat -c %s "$META") - 1 )) "$W/meta.good" > "$META"
refused_pull 4 "commitmeta"
cp "$W/meta.good" "$META"
# Garbage in the trust database: refused, never recreated.
cp "$DEV/state.db" "$W/state.good"
head -c 8192 /dev/urandom > "$W/garbage.db"
cp "$W/garbage.db" "$DEV/state.db"
refused "$DEV" 4 "state database" "$LARCH" pull --repo "$DEV" origin os/stable
cmp "$DEV/state.db" "$W/garbage.db" || fail "the damaged state database was modified"
cp "$W/state.good" "$DEV/state.db"
# Malformed keys.
echo "-----BEGIN PRIVATE KEY-----" > "$W/bad.key"; chmod 600 "$W/bad.key"
refused "$SRV" 2 "not a PEM key" "$LARCH" sign --repo "$SRV" "$V3" -k "$W/bad.key"
cp "$W/k1.key" "$W/loose.key"; chmod 644 "$W/loose.key"
refused "$SRV" 2 "readable by group or others" "$LARCH" sign --repo "$SRV" "$V3" -k "$W/loose.key"
mkdir "$W/badring"; cp "$W/k1.pub" "$W/badring/"; echo garbage > "$W/badring/broken.pub"
refused "$DEV" 2 "broken.pub" "$LARCH" remote add --repo "$DEV" other "file://$SRV" --keyring "$W/badring"
refused "$DEV" 2 "threshold 3 but the keyring holds 2" "$LARCH" remote add --repo "$DEV" other "file://$SRV" --keyring "$RING" --threshold 3

log "the repaired remote pulls v3"
larch pull --repo "$DEV" origin os/stable >/dev/null
assert_eq "$V3" "$(larch refs --repo "$DEV" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["origin:os/stable"])')" "pulled ref"
larch fsck --repo "$DEV" >/dev/null
log "ok"
