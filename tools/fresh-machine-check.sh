#!/bin/bash
# fresh-machine-check.sh - prove that a clone stands on its own: make a clean
# Debian 12 system (debootstrap --variant=minbase), put a `git clone` of this
# repository into it, and run there, as root, the commands of README.md's
# "Quick start" block exactly as written (tools/demo.sh, tools/run-tests.sh).
# Anything the project forgot to install, or any file it reads from outside
# its own tree, fails here and not on a user's machine.
#
#   tools/fresh-machine-check.sh [--keep] [--only N]
#
#   --keep     leave the clean system (and its build trees) in place and print
#              where it is; by default it is removed at the end
#   --only N   run only the README's N-th command (1-based), e.g. --only 1
#
# The clone is of the committed HEAD: uncommitted changes are not in it (a
# warning says so). The clean system uses this machine's apt configuration
# (sources, keyrings, apt.conf.d), as a new machine of the same kind would.
# Needs root; installs debootstrap and git on this machine if missing.
#
# Output: everything the commands print, then one line per command and, last,
# "N passed, M failed".
# Env: LARCH_FRESH_DIR  where the clean system is made (default /var/tmp)
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
keep=0
only=0
while [ $# -gt 0 ]; do
    case $1 in
        --keep) keep=1 ;;
        --only) only=${2:?--only needs a number}; shift ;;
        *) echo "fresh-machine-check: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
    esac
    shift
done

say() { printf '\n==== fresh-machine-check: %s\n' "$*"; }
die() { printf 'fresh-machine-check: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot, mounts)"

# ------------------------------------------------------------ the commands
# The fenced block that follows the "## Quick start" heading of README.md.
readarray -t commands < <(awk '
    /^## Quick start/ { in_section = 1; next }
    in_section && /^```/ { if (in_block) exit; in_block = 1; next }
    in_block && NF { print }' "$src/README.md")
[ "${#commands[@]}" -gt 0 ] || die "no commands found in the Quick start block of $src/README.md"

if ! git -C "$src" diff --quiet HEAD -- 2>/dev/null; then
    echo "fresh-machine-check: warning: $src has uncommitted changes; the clean system gets HEAD only" >&2
fi

# ------------------------------------------------------------ host tools
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v git >/dev/null || need+=(git)
if [ "${#need[@]}" -gt 0 ]; then
    say "installing ${need[*]} on this machine"
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi

archive=$(apt-cache policy | awk '$2 ~ /^(https?|file):/ && $3 == "bookworm/main" { print $2; exit }')
[ -n "$archive" ] || die "apt knows no archive for bookworm/main on this machine (run apt-get update)"

# ------------------------------------------------------------ the clean system
work=$(mktemp -d "${LARCH_FRESH_DIR:-/var/tmp}/larch-fresh.XXXXXX")
root=$work/root

# Processes a command left running inside (a test's nginx, say) would keep
# the mounts busy: end them, then undo the mounts, innermost first; remove
# the tree only when nothing is mounted below it any more.
cleanup() {
    local rc=$? p m
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -9 "${p#/proc/}" 2>/dev/null
    done
    sleep 1
    for m in $(findmnt -rn -o TARGET | grep -xE "$root(/.*)?" | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
    if [ "$keep" = 1 ]; then
        echo "fresh-machine-check: the clean system is kept in $root"
    elif findmnt -rn -o TARGET | grep -qxE "$root(/.*)?"; then
        echo "fresh-machine-check: something is still mounted below $root; not removing $work" >&2
    else
        rm -rf --one-file-system "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT   # through the EXIT trap: nothing stays mounted
trap 'exit 143' TERM

say "debootstrap --variant=minbase bookworm into $root"
start=$SECONDS
debootstrap --variant=minbase bookworm "$root" "$archive" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log"; die "debootstrap failed (log above)"; }
echo "took $((SECONDS - start)) s"

# This machine's apt configuration: same archives (and pockets), same
# keyrings and settings, as another machine of this kind would have.
shopt -s nullglob
cp /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list "$root/etc/apt/sources.list.d/" 2>/dev/null || true
if [ -n "$(ls "$root"/etc/apt/sources.list.d/)" ]; then
    rm -f "$root/etc/apt/sources.list"
fi
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/sources.list"
cp -a /etc/apt/apt.conf.d/. "$root/etc/apt/apt.conf.d/"
for f in /etc/apt/trusted.gpg.d/* /etc/apt/keyrings/*; do
    mkdir -p "$root$(dirname "$f")"
    cp -a "$f" "$root$f"
done
shopt -u nullglob
cp -L /etc/resolv.conf "$root/etc/resolv.conf"

say "git clone of $src into $root/root/larch"
git clone -q --no-hardlinks "$src" "$root/root/larch"
git -C "$root/root/larch" log --oneline -1

# The root of the clean system must be a mount point of its own, as / is on
# a real machine: `unshare -m` (the demo's boots) makes / private, which the
# kernel refuses for a directory that is not a mount.
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"

# ------------------------------------------------------------ run
passed=0
failed=0
lines=()
for i in "${!commands[@]}"; do
    n=$((i + 1))
    [ "$only" = 0 ] || [ "$only" = "$n" ] || continue
    cmd=${commands[i]}
    say "running README command $n inside the clean system: $cmd"
    start=$SECONDS
    rc=0
    chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb CI="${CI:-}" \
        /bin/bash -c "cd /root/larch && $cmd" </dev/null || rc=$?
    took=$((SECONDS - start))
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1)); lines+=("PASS  $cmd (${took} s)")
    else
        failed=$((failed + 1)); lines+=("FAIL  $cmd (exit $rc, ${took} s)")
    fi
done

say "summary"
printf '%s\n' "${lines[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
