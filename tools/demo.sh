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
#              publisher's keyring; 1.0 pulled over HTTP and deployed, with a
#              health check in its /etc; it boots and is marked good
#   release 2  corpus v2 (a real security update) committed, signed, a delta
#              from 1.0 generated and signed, the summary re-signed
#   upgrade    larch admin upgrade: the signed delta over HTTP, deployed as
#              the next boot's default; bytes on the wire from nginx's log
#   fallback   2.0 is made bad (its health check fails): it boots three
#              times and is never marked good, then the boot-time helper
#              falls back to 1.0 by itself
#   rollback   larch admin rollback makes 1.0 the default again; it boots
#              and is marked good; status and history show the way there
#   no repeat  larch admin upgrade (what the timer runs) does not install
#              2.0 again: it failed to boot here; --check exits 77
#
# Nothing reboots: a boot is played in a private mount namespace by the
# real boot-time helper (larch-prepare-root, as the initramfs runs it: it
# counts the try in the boot-state on disk, chooses, mounts the deployment),
# then the real larch-health and larch admin boot-ok, as the systemd units
# run them. A real kernel boots the same under qemu in
# tests/integration/test-boot-qemu.sh.
#
# --keep  leave the scratch directory (stores, sysroot, nginx log) to look at
#
# Env: LARCH            the larch binary (default: build it into build/)
#      LARCH_PREPARE_ROOT the boot-time helper (default: beside LARCH, else in
#                       LARCH's build tree)
#      LARCH_HEALTH     the health runner (default: the checkout's
#                       initramfs/health/larch-health; an installed one is
#                       /usr/libexec/larch/larch-health)
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
        exec sudo --preserve-env=LARCH,LARCH_PREPARE_ROOT,LARCH_HEALTH,LARCH_BUILD_ROOT,LARCH_CORPUS bash "$0" "$@"
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
    cmake --build "$bdir" --target larch larch-prepare-root
    LARCH=$bdir/tools/larch
fi
[ -x "$LARCH" ] || { echo "demo: no larch binary at $LARCH" >&2; exit 1; }
# Installed binaries sit side by side (/usr/bin); a build has initramfs/.
HELPER=${LARCH_PREPARE_ROOT:-$(dirname "$LARCH")/larch-prepare-root}
[ -n "${LARCH_PREPARE_ROOT:-}" ] || [ -x "$HELPER" ] || HELPER=$(dirname "$LARCH")/../initramfs/larch-prepare-root
[ -x "$HELPER" ] || { echo "demo: no larch-prepare-root at $HELPER (set LARCH_PREPARE_ROOT)" >&2; exit 1; }
HEALTH=${LARCH_HEALTH:-$src/initramfs/health/larch-health}
[ -x "$HEALTH" ] || { echo "demo: no larch-health at $HEALTH (set LARCH_HEALTH)" >&2; exit 1; }
unshare -m true 2>/dev/null ||
    { echo "demo: mount namespaces (unshare -m) are not available here; the boots need them" >&2; exit 1; }
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
# would type it (arguments with spaces in double quotes, paths inside the
# scratch directory as $W/...); show CMD...: say it, then run it.
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

# boot: one power-on of the device, played on this machine in a private
# mount namespace by tests/integration/lib-boot-sim.sh: the boot loader's
# default entry, the real boot-time helper (larch-prepare-root, as the
# initramfs runs it: it counts the try and falls back when the default is
# out of tries), then the real larch-health and larch admin boot-ok, as the
# systemd units run them. Afterwards larch admin learns the running
# deployment from LARCH_CMDLINE (standing in for /proc/cmdline) and BOOTED
# names it.
# shellcheck source-path=SCRIPTDIR source=../tests/integration/lib-boot-sim.sh
source "$src/tests/integration/lib-boot-sim.sh"
BOOT_SIM_HELPER=$HELPER BOOT_SIM_HEALTH=$HEALTH
BOOTS=0
BOOTED=""
boot() {
    BOOTS=$((BOOTS + 1))
    printf '%s-- boot %s: the boot loader starts the default entry (%s)%s\n' "$bold" "$BOOTS" \
        "$(sed -n 's/^options //p' "$S/boot/loader/entries/larch-debian-0.conf" |
            sed 's|larch=/ostree/deploy/[^/]*/deploy/\(.\{12\}\)[0-9a-f]*|larch=…/\1…|')" "$plain"
    boot_sim "$S" "$W"
}

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

headline "5. Device: install 1.0 over HTTP and deploy it"
mark=$(nginx_mark)
show larch pull --repo "$DEVREPO" origin "$BRANCH"
nginx_settle
note "downloaded: $(mib "$(nginx_bytes_sent "$mark")") in $(nginx_requests "$mark") requests (the whole system, no delta yet)"
show larch admin deploy origin:"$BRANCH" --sysroot "$S"
D1=$(status 'd["deployments"][0]["path"]')
note "the product's health check, in 1.0's /etc (the /etc merge carries it into later releases):"
health_check() {   # health_check DEPLOYMENT MESSAGE EXIT-CODE
    mkdir -p "$S$1/etc/larch/health.d"
    printf '#!/bin/sh\necho "%s"\nexit %s\n' "$2" "$3" >"$S$1/etc/larch/health.d/10-app"
    chmod 755 "$S$1/etc/larch/health.d/10-app"
    sed 's/^/     /' "$S$1/etc/larch/health.d/10-app"
}
health_check "$D1" "app: answering" 0

headline "6. Device: first boot of 1.0; the health check passes, the boot is marked good"
boot
show larch admin status --sysroot "$S"

headline "7. Publisher: release 2.0 = v2, signed; a signed delta from 1.0; a new summary"
keep_out C2 larch commit --repo "$SRV" --branch "$BRANCH" --tree "$corpus/v2" --version 2.0 \
    --metadata "compatible=$BOARD" -s "Debian 12 security update"
show larch sign --repo "$SRV" "$C2" -k "$W/keys/release.key"
show larch delta generate --repo "$SRV" --ref "$BRANCH" --last 1 --sign-key "$W/keys/release.key"
show larch summary --repo "$SRV" --update -k "$W/keys/release.key"
show larch summary --repo "$SRV"

headline "8. Device: larch admin upgrade --check, then upgrade (signed delta over HTTP, deploy 2.0)"
mark=$(nginx_mark)
show larch admin upgrade --sysroot "$S" --check
show larch admin upgrade --sysroot "$S"
nginx_settle
sent=$(nginx_bytes_sent "$mark")
v2_bytes=$(du -sb "$corpus/v2" | cut -f1)
note "downloaded by the check and the upgrade together: $(mib "$sent") in $(nginx_requests "$mark") requests (nginx's access log: status lines, headers, bodies)"
note "v2 is $(mib "$v2_bytes") on disk: the upgrade fetched $(ratio "$sent" "$v2_bytes" | awk '{ printf "%.2f", $1 * 100 }')% of it"
show larch admin status --sysroot "$S"
D2=$(status 'd["deployments"][0]["path"]')
note "the demo makes 2.0 a bad release: its health check fails, as an application that does not start would:"
health_check "$D2" "app: not answering" 1

headline "9. Device: 2.0 boots, fails its health check, is never marked good; the helper counts"
boot
show larch admin status --sysroot "$S"
boot
boot
headline "10. Device: the next boot: out of tries, the helper falls back to 1.0 by itself"
boot
show larch admin status --sysroot "$S"

headline "11. Device: larch admin rollback: 1.0 is the default again; it boots and is marked good"
show larch admin rollback --sysroot "$S"
boot
show larch admin history --sysroot "$S" -n 8
show larch admin status --sysroot "$S"

headline "12. Device: the unattended upgrade (the timer's larch admin upgrade) does not install 2.0 again"
note "2.0 failed to boot here; boot-ok recorded it, so upgrade pulls nothing new and deploys nothing:"
show larch admin upgrade --sysroot "$S"
say larch admin upgrade --sysroot "$S" --check
rc=0
larch admin upgrade --sysroot "$S" --check || rc=$?
[ "$rc" -eq 77 ] || { echo "demo: upgrade --check exited $rc, not 77 (no update)" >&2; exit 1; }
note "exit $rc: no update (the remote offers only the release that failed)"

default=$(status '[x["version"] for x in d["deployments"] if x["default"]][0]')
if [ "$default" != 1.0 ] || [ "$BOOTED" != "$D1" ]; then
    echo "demo: after the rollback the default is $default and $BOOTED runs, not 1.0" >&2
    exit 1
fi
headline "Done in $((SECONDS - started)) s: 1.0 installed; 2.0 over HTTP as a signed delta; 2.0 failed, the device fell back; rolled back to 1.0 and kept there"
