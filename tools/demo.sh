#!/bin/bash
# demo.sh [--no-setup] [--keep] - the whole over-the-air cycle of Larch, on
# this machine, with real Debian root filesystems and a real web server.
#
# Installs what is needed (tools/setup.sh; skip with --no-setup), builds
# build/tools/larch (or uses $LARCH when set), then in a scratch directory
# under /var/tmp:
#
#   publisher  an archive store; a fresh Ed25519 key; release 1.0 (corpus v1)
#              committed, signed, listed in a signed summary
#   server     a real nginx on 127.0.0.1 (own config and prefix in the scratch
#              directory), serving the store as static files
#   device     a sysroot (admin init-fs, os-init) whose store trusts the
#              publisher's keyring; 1.0 pulled over HTTP, deployed, booted,
#              marked good
#   release 2  corpus v2 (a real security update) committed, signed, a delta
#              from 1.0 generated and signed, the summary re-signed
#   upgrade    larch admin upgrade: the signed delta over HTTP, deployed as
#              the next boot's default; bytes on the wire from nginx's log
#   rollback   2.0 "boots" but is never marked good; larch admin rollback
#              makes 1.0 the default again; 1.0 boots and is marked good;
#              status and history show the way there
#
# The demo does not reboot anything: the kernel command line that says which
# deployment runs is given through LARCH_CMDLINE. The real boot (boot-time
# helper, boot counting, automatic fallback, health checks) runs under qemu
# in tests/integration/test-boot-qemu.sh.
#
# --keep  leave the scratch directory (stores, sysroot, nginx log) to look at
#
# Env: LARCH            the larch binary (default: build it into build/)
#      LARCH_BUILD_ROOT where build/ goes (default: the checkout)
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
setup=1
keep=0
for arg in "$@"; do
    case $arg in
        --no-setup) setup=0 ;;
        --keep) keep=1 ;;
        *) echo "usage: $0 [--no-setup] [--keep]" >&2; exit 2 ;;
    esac
done

# Root: packages, the corpus (debootstrap) and a bare store that keeps the
# files' owners all need it.
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo --preserve-env=LARCH,LARCH_BUILD_ROOT,LARCH_CORPUS bash "$0" "$@"
    fi
    echo "demo: run as root (sudo tools/demo.sh)" >&2
    exit 1
fi

bold=""; plain=""
if [ -t 1 ]; then bold=$(printf '\033[1m'); plain=$(printf '\033[0m'); fi
headline() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
note() { printf '   %s\n' "$*"; }

if [ "$setup" = 1 ]; then
    headline "Installing packages and building the corpus (tools/setup.sh)"
    bash "$src/tools/setup.sh"
fi

if [ -z "${LARCH:-}" ]; then
    bdir=${LARCH_BUILD_ROOT:-$src}/build
    headline "Building larch (cmake, ninja: $bdir)"
    cmake -S "$src" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$bdir" --target larch
    LARCH=$bdir/tools/larch
fi
[ -x "$LARCH" ] || { echo "demo: no larch binary at $LARCH" >&2; exit 1; }
corpus=$(bash "$src/tools/ensure-corpus.sh")

# The scratch directory, the exit hook that stops nginx and removes it, and
# nginx itself come from the integration tests' helpers (tests/integration/
# lib.sh, lib-http.sh): the same server the pull tests use.
export LARCH
if [ "$keep" = 1 ]; then export LARCH_KEEP_TMP=1; fi
# shellcheck source-path=SCRIPTDIR source=../tests/integration/lib.sh
source "$src/tests/integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/integration/lib-http.sh
source "$src/tests/integration/lib-http.sh"
require_http_tools
W=$LARCH_TEST_TMP
cd "$W"
started=$SECONDS

# In the transcript the binary is just "larch" (lib.sh's larch() logs to
# stderr; this one is quiet). say CMD...: print the command as a reader
# would type it (arguments with spaces in double quotes), paths inside the
# scratch directory relative to it; show CMD...: say it, then run it.
larch() { "$LARCH" "$@"; }
say() {
    local a line="#"
    for a in "$@"; do
        a=${a//$W\//\$W/}
        if [[ "$a" == *[[:space:]]* ]]; then line+=" \"$a\""; else line+=" $a"; fi
    done
    printf '%s\n' "$line"
}
show() { say "$@"; "$@"; }
# keep_out VAR CMD...: say CMD, run it, print and keep its stdout in VAR.
keep_out() {
    local var=$1 out; shift
    say "$@"
    out=$("$@")
    printf '%s\n' "$out"
    printf -v "$var" '%s' "$out"
}
# status PYTHON-EXPR: a field of `larch admin status --json` (d).
status() {
    larch admin status --sysroot "$S" --json |
        python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

SRV=$W/server          # the publisher's archive store, served by nginx
S=$W/sysroot           # the device's sysroot
DEVREPO=$S/ostree/repo # its bare store
BRANCH=os/stable
BOARD=demo-board       # the compatible id of this kind of device

headline "The input: two real Debian 12 root filesystems ($corpus)"
note "v1 = debootstrap --variant=minbase; v2 = v1 after apt-get upgrade (security updates)"
cat "$corpus/corpus-sizes.txt"
note "scratch directory: W=$W"

headline "1. Publisher: a store to serve, a signing key, the keyring devices trust"
show larch init --repo "$SRV" --mode archive
show mkdir "$W/keys" "$W/keyring"
show larch key generate -o "$W/keys/release"
show cp "$W/keys/release.pub" "$W/keyring/"
note "\$W/keyring: the public key only; \$W/keys/release.key stays with the publisher"

headline "2. Publisher: release 1.0 = v1, committed, signed, announced in the signed summary"
keep_out C1 larch commit --repo "$SRV" --branch "$BRANCH" --tree "$corpus/v1" --version 1.0 \
    --metadata "compatible=$BOARD" -s "Debian 12 minbase"
show larch sign --repo "$SRV" "$C1" -k "$W/keys/release.key"
show larch summary --repo "$SRV" --update -k "$W/keys/release.key" --lifetime 7d

headline "3. Server: nginx serves the store as static files"
start_nginx "$SRV"
note "$NGINX_URL serves \$W/server (config and access log in \$W/${NGINX_DIR#"$W"/}/)"

headline "4. Device: an empty sysroot that trusts the publisher's keyring"
mkdir -p "$S"
show larch admin init-fs "$S"
show larch admin os-init debian --sysroot "$S"
show larch remote add --repo "$DEVREPO" origin "$NGINX_URL" --keyring "$W/keyring" --compatible "$BOARD"

headline "5. Device: install 1.0 over HTTP, deploy it, boot it, mark it good"
mark=$(nginx_mark)
show larch pull --repo "$DEVREPO" origin "$BRANCH"
nginx_settle
note "downloaded: $(mib "$(nginx_bytes_sent "$mark")") in $(nginx_requests "$mark") requests (the whole system, no delta yet)"
show larch admin deploy origin:"$BRANCH" --sysroot "$S"
D1=$(status 'd["deployments"][0]["path"]')
# boot_into PATH: from now on larch admin treats PATH as the running
# deployment, as it would after the boot loader started it with larch=PATH.
boot_into() {
    local n=${1##*/}
    export LARCH_CMDLINE="root=/dev/vda2 rw larch=$1"
    note "(LARCH_CMDLINE=\"... larch=${1%/*}/${n:0:12}….${n##*.}\" stands in for /proc/cmdline)"
}
boot_into "$D1"
show larch admin boot-ok --sysroot "$S"
show larch admin status --sysroot "$S"

headline "6. Publisher: release 2.0 = v2, signed; a signed delta from 1.0; a new summary"
keep_out C2 larch commit --repo "$SRV" --branch "$BRANCH" --tree "$corpus/v2" --version 2.0 \
    --metadata "compatible=$BOARD" -s "Debian 12 security update"
show larch sign --repo "$SRV" "$C2" -k "$W/keys/release.key"
show larch delta generate --repo "$SRV" --ref "$BRANCH" --last 1 --sign-key "$W/keys/release.key"
show larch summary --repo "$SRV" --update -k "$W/keys/release.key"
show larch summary --repo "$SRV"

headline "7. Device: larch admin upgrade (signed delta over HTTP, then deploy 2.0)"
mark=$(nginx_mark)
show larch admin upgrade --sysroot "$S"
nginx_settle
sent=$(nginx_bytes_sent "$mark")
v2_bytes=$(du -sb "$corpus/v2" | cut -f1)
note "downloaded: $(mib "$sent") in $(nginx_requests "$mark") requests (nginx's access log: status lines, headers, bodies)"
note "v2 is $(mib "$v2_bytes") on disk: the upgrade fetched $(ratio "$sent" "$v2_bytes" | awk '{ printf "%.2f", $1 * 100 }')% of it"
show larch admin status --sysroot "$S"

headline "8. Device: reboot into 2.0; its health check fails, so nothing marks it good"
D2=$(status 'd["deployments"][0]["path"]')
boot_into "$D2"
note "no larch admin boot-ok: 2.0 stays pending, 1.0 is the rollback"
show larch admin status --sysroot "$S"

headline "9. Device: roll back to 1.0"
note "(a real device falls back by itself once 2.0 has used its boot tries:"
note " tests/integration/test-boot-qemu.sh shows that under qemu; here we roll back by hand)"
show larch admin rollback --sysroot "$S"
show larch admin status --sysroot "$S"

headline "10. Device: reboot into 1.0, mark it good: back where it started"
boot_into "$D1"
show larch admin boot-ok --sysroot "$S"
show larch admin history --sysroot "$S" -n 6
show larch admin status --sysroot "$S"

default=$(status '[x["version"] for x in d["deployments"] if x["default"]][0]')
[ "$default" = 1.0 ] || { echo "demo: after the rollback the default is $default, not 1.0" >&2; exit 1; }
headline "Done in $((SECONDS - started)) s: 1.0 installed, upgraded to 2.0 over HTTP with a signed delta, rolled back to 1.0"
