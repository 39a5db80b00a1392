#!/bin/bash
# ensure-corpus.sh - make sure the Debian root filesystem corpus (v1, v2, v3)
# exists in the cache and print the cache directory on stdout.
#
#   tools/ensure-corpus.sh            build it if missing, print its path
#   tools/ensure-corpus.sh --check    only tell (exit 0 present, 1 missing)
#
# The corpus is ~500 MB of real Debian trees built by debootstrap; it lives
# outside the repository (default /var/tmp/larch-corpus, override with
# LARCH_CORPUS) so a clone stays small and the trees are built once per
# machine, by tools/make-corpus.sh.
#
# Exit codes: 0 ok, 1 build failed, 77 building is impossible here (not root,
# no debootstrap) - 77 so that tests can skip on it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${LARCH_CORPUS:-/var/tmp/larch-corpus}

log() { printf 'ensure-corpus: %s\n' "$*" >&2; }

# Complete = the three trees plus corpus-sizes.txt, which make-corpus.sh
# writes only after all three are finalized: a run killed half way through v3
# leaves v3 present but unfinished, and must not count.
complete() {
    [ -d "$cache/v1" ] && [ -d "$cache/v2" ] && [ -d "$cache/v3" ] &&
        [ -s "$cache/corpus-sizes.txt" ]
}

if [ "${1:-}" = --check ]; then
    if complete; then exit 0; else exit 1; fi
fi

if complete; then
    printf '%s\n' "$cache"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    log "corpus missing in $cache and building it needs root (debootstrap, chroot)"
    exit 77
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    log "corpus missing in $cache and debootstrap is not installed (run tools/setup.sh)"
    exit 77
fi

mkdir -p "$cache"
# Several test scripts may ask at once (ctest -j2): one builds, the others
# wait on the lock and then find the finished corpus.
exec 9>"$cache.lock"
flock 9
if complete; then
    printf '%s\n' "$cache"
    exit 0
fi

# Remove what an interrupted run left behind; make-corpus.sh refuses to
# overwrite. Unmount first: a killed run can leave proc mounted in a tree,
# and rm must never descend into it (hence also --one-file-system).
for v in v1 v2 v3; do
    for m in "$cache/$v/proc" "$cache/$v/dev"; do
        if mountpoint -q "$m" 2>/dev/null; then
            log "unmounting leftover $m"
            umount -l "$m"
        fi
    done
    if [ -e "$cache/$v" ]; then
        log "removing partial $cache/$v"
        rm -rf --one-file-system "${cache:?}/$v"
    fi
done
rm -f "$cache/corpus-sizes.txt"

log "building corpus in $cache with tools/make-corpus.sh (a few minutes)"
if ! bash "$here/make-corpus.sh" "$cache" >&2; then
    log "make-corpus.sh failed; see the logs in $cache"
    exit 1
fi
complete || { log "make-corpus.sh finished but the corpus is incomplete"; exit 1; }
printf '%s\n' "$cache"
