#!/bin/bash
# demo.sh [--no-setup] [--keep] - show Larch on real Debian root filesystems.
#
# Installs what is needed (tools/setup.sh; skip with --no-setup), builds
# build/tools/larch, then in a scratch directory: commits corpus v1 and v2
# (a real security update) to one branch of an archive repo, inspects them
# (log, show, ls, diff, cat), checks v2 out, does the same with a bare repo
# and a hard-link checkout, and verifies both repos with fsck.
#
# --keep  leave the scratch directory (repos and checkouts) for a look around
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

# Root: packages, the corpus (debootstrap) and checkouts that keep the
# files' owners all need it.
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo --preserve-env=LARCH_CORPUS bash "$0" "$@"
    fi
    echo "demo: run as root (sudo tools/demo.sh)" >&2
    exit 1
fi

bold=""; plain=""
if [ -t 1 ]; then bold=$(printf '\033[1m'); plain=$(printf '\033[0m'); fi
headline() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
# say CMD...: print the command as a reader would type it (arguments with
# spaces in double quotes); show CMD...: say it, then run it.
say() {
    local a line="$"
    for a in "$@"; do
        if [[ "$a" == *[[:space:]]* ]]; then line+=" \"$a\""; else line+=" $a"; fi
    done
    printf '%s\n' "$line"
}
show() { say "$@"; "$@"; }

if [ "$setup" = 1 ]; then
    headline "Installing packages and building the corpus (tools/setup.sh)"
    bash "$src/tools/setup.sh"
fi

# LARCH_BUILD_ROOT: where build/ goes (default: the checkout), as in run-tests.sh.
bdir=${LARCH_BUILD_ROOT:-$src}/build
headline "Building larch (cmake, ninja: $bdir)"
cmake -S "$src" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$bdir" --target larch
LARCH=$bdir/tools/larch
# In the transcript the binary is just "larch".
larch() { "$LARCH" "$@"; }

corpus=$(bash "$src/tools/ensure-corpus.sh")
V1=$corpus/v1
V2=$corpus/v2

W=$(mktemp -d /var/tmp/larch-demo.XXXXXX)
if [ "$keep" = 1 ]; then
    trap 'echo; echo "demo files kept in $W"' EXIT
else
    trap 'rm -rf --one-file-system "$W"' EXIT
fi
cd "$W"
BRANCH=debian/12/minbase

headline "The input: two real Debian 12 root filesystems"
printf '%s\n' "v1 = debootstrap --variant=minbase; v2 = v1 after apt-get upgrade (security updates)"
cat "$corpus/corpus-sizes.txt"

headline "1. Create an archive repo (zstd-compressed objects, for serving updates)"
show larch init --repo archive --mode archive

headline "2. Commit v1 and then v2 to the same branch"
# commit prints the new commit's id on stdout; keep it for the diff below.
say larch commit --repo archive --branch "$BRANCH" --tree "$V1" -s "Debian 12 minbase"
v1_id=$(larch commit --repo archive --branch "$BRANCH" --tree "$V1" -s "Debian 12 minbase")
echo "$v1_id"
say larch commit --repo archive --branch "$BRANCH" --tree "$V2" -s "Debian 12 security update"
v2_id=$(larch commit --repo archive --branch "$BRANCH" --tree "$V2" -s "Debian 12 security update")
echo "$v2_id"

headline "3. History of the branch"
show larch log --repo archive "$BRANCH"

headline "4. One commit in detail"
show larch show --repo archive "$BRANCH"

headline "5. A directory inside the commit, without checking it out (first 15 entries)"
# Into a file, then head: head closing the pipe early would kill larch with
# SIGPIPE and, under pipefail, the demo with it.
show larch ls --repo archive "$BRANCH" /usr/bin > ls.txt
head -n 15 ls.txt
echo "... ($(wc -l < ls.txt) entries)"

headline "6. What the security update changed (v1 -> v2)"
show larch diff --repo archive --stat "$v1_id" "$v2_id"
larch diff --repo archive "$v1_id" "$v2_id" > diff.txt
echo "for example:"
grep -E '^M +/?usr/(bin|lib)/' diff.txt | head -n 5 || true

headline "7. A file straight from the store"
show larch cat --repo archive "$BRANCH" /etc/debian_version

headline "8. Check v2 out (copy mode: independent files)"
show larch checkout --repo archive --mode copy "$BRANCH" checkout-v2
show du -sh checkout-v2
show ls checkout-v2

headline "9. A bare repo (plain files, for a device) and a hard-link checkout"
show larch init --repo bare --mode bare
show larch commit --repo bare --branch "$BRANCH" --tree "$V2" -s "Debian 12 security update"
show larch checkout --repo bare --mode hardlink "$BRANCH" deploy-v2
echo "link count of vmlinuz (the store's file and the checkout's): $(stat -c %h deploy-v2/usr/lib/modules/6.1.0-test/vmlinuz)"
echo "du counts each inode once: the second line is all the checkout adds to the store"
show du -sh bare deploy-v2

headline "10. Verify every object in both repos"
show larch fsck --repo archive
show larch fsck --repo bare

headline "Sizes"
show du -sh archive bare

headline "Done"
