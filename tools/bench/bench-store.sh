#!/bin/bash
# bench-store.sh [--write-docs] [--ostree-only] - Larch's object store against
# OSTree's on corpus v1 (a real Debian 12 minbase root), in one run:
#
#   commit    commit v1 into a fresh archive repo          (median of 3)
#   store     du -sb of that archive repo afterwards
#   checkout  hard-link checkout of v1 from a bare repo    (median of 3)
#
# Both tools run with their defaults (both fsync what they commit), on the
# same files with the same warm page cache, one after the other, so the
# ratios larch/ostree compare like with like on this machine. Absolute
# seconds vary between machines; the ratios are what the targets are about.
#
# --write-docs   also write the results into docs/benchmarks.md, section
#                "Object store (issue 2)" (replaced if present)
# --ostree-only  measure OSTree only (e.g. while larch is not built yet)
#
# Env: LARCH (default build/tools/larch), LARCH_CORPUS, BENCH_RUNS (default 3)
# Needs root: bare repos keep file owners, which takes CAP_CHOWN.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=bench-store
# shellcheck source=lib.sh
source "$src/tools/bench/lib.sh"
LARCH=${LARCH:-$src/build/tools/larch}
runs=${BENCH_RUNS:-3}
write_docs=0
larch_too=1
for arg in "$@"; do
    case $arg in
        --write-docs) write_docs=1 ;;
        --ostree-only) larch_too=0 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: $0 [--write-docs] [--ostree-only]" >&2; exit 2 ;;
    esac
done


[ "$(id -u)" -eq 0 ] || die "run as root (bare repos keep file owners)"
command -v ostree >/dev/null || die "ostree not installed (run tools/setup.sh)"
if [ "$larch_too" = 1 ] && [ ! -x "$LARCH" ]; then
    die "no larch binary at $LARCH (build it, or use --ostree-only)"
fi
if [ "$write_docs" = 1 ] && [ "$larch_too" = 0 ]; then
    die "--write-docs needs both tools measured"
fi

corpus=$(bash "$src/tools/ensure-corpus.sh") || die "no corpus (run tools/setup.sh)"
V1=$corpus/v1

work=$(mktemp -d /var/tmp/larch-bench.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT

# now: seconds since the epoch with nanoseconds, for wall-clock timing.

# quiet CMD...: run CMD without its chatter; show its output only if it fails.

# timed CMD...: run CMD quietly, print its wall-clock seconds (nothing if it
# failed). sync first, untimed: dirty pages left by the previous run must
# not be written back on this run's clock.


load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

# Read every byte of the tree once, so neither tool pays for cold reads and
# the first tool measured is not at a disadvantage.
log "warming the page cache: $V1"
find "$V1" -type f -exec cat {} + >/dev/null

# ------------------------------------------------------------------ (a) commit
# A fresh repo every run: committing into a repo that already has the
# objects would measure deduplication, not storing. Nothing is deleted
# between runs: ext4 makes creating files right after deleting thousands
# of them slow (it scans for inodes that were not "recently deleted"),
# which would charge one run for the cleanup of the one before.
commit_runs() {   # commit_runs TOOL -> prints one time per line
    local tool=$1 i r
    for i in $(seq "$runs"); do
        r=$work/$tool-archive-$i
        if [ "$tool" = ostree ]; then
            quiet ostree --repo="$r" init --mode=archive
            timed ostree --repo="$r" commit --branch=b --tree=dir="$V1" -s bench
        else
            quiet "$LARCH" init --repo "$r" --mode archive
            timed "$LARCH" commit --repo "$r" --branch b --tree "$V1" -s bench
        fi
    done
}

# ------------------------------------------------------------------ (c) checkout
checkout_runs() {   # checkout_runs TOOL
    local tool=$1 i
    local r=$work/$tool-bare t=$work/$tool-co
    rm -rf "$r"
    if [ "$tool" = ostree ]; then
        quiet ostree --repo="$r" init --mode=bare
        quiet ostree --repo="$r" commit --branch=b --tree=dir="$V1" -s bench
    else
        quiet "$LARCH" init --repo "$r" --mode bare
        quiet "$LARCH" commit --repo "$r" --branch b --tree "$V1" -s bench
    fi
    for i in $(seq "$runs"); do
        if [ "$tool" = ostree ]; then
            # ostree checks out from a bare repo with hard links by default
            timed ostree --repo="$r" checkout b "$t-$i"
        else
            timed "$LARCH" checkout --repo "$r" --mode hardlink b "$t-$i"
        fi
    done
    # The checkouts stay for the caller to check, then go.
}

tools=(ostree)
[ "$larch_too" = 1 ] && tools+=(larch)
declare -A commit_s store_b checkout_s commit_all checkout_all
for tool in "${tools[@]}"; do
    log "$tool: commit into archive repo x$runs"
    mapfile -t t < <(commit_runs "$tool")
    [ "${#t[@]}" -eq "$runs" ] || die "$tool commit failed"
    commit_all[$tool]="${t[*]}"
    commit_s[$tool]=$(median "${t[@]}")
    store_b[$tool]=$(du -sb "$work/$tool-archive-1" | cut -f1)
    rm -rf "$work/$tool"-archive-*

    log "$tool: hard-link checkout from bare repo x$runs"
    mapfile -t t < <(checkout_runs "$tool")
    [ "${#t[@]}" -eq "$runs" ] || die "$tool checkout failed"
    # Make sure it really was a hard-link checkout, or the figure is wrong.
    n=$(stat -c %h "$work/$tool-co-1/usr/lib/modules/6.1.0-test/vmlinuz")
    [ "$n" -ge 2 ] || die "$tool checkout did not hard-link (nlink $n)"
    rm -rf "$work/$tool"-co-*
    checkout_all[$tool]="${t[*]}"
    checkout_s[$tool]=$(median "${t[@]}")
    rm -rf "$work/$tool-bare"
done

# ------------------------------------------------------------------ report
v1_bytes=$(du -sb "$V1" | cut -f1)
v1_files=$(find "$V1" -type f | wc -l)
v1_entries=$(find "$V1" | wc -l)
machine="$(nproc) cores, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r), $(df -T "$work" | awk 'NR == 2 { print $2 }') on /var/tmp"
ostree_version=$(ostree --version | awk -F"'" '/Version/ { print $2; exit }')
larch_version=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)


table() {
    echo "| metric | ostree $ostree_version | larch ($larch_version) | larch/ostree | target | |"
    echo "|---|---:|---:|---:|---:|---|"
    local r
    if [ "$larch_too" = 1 ]; then
        r=$(ratio "${commit_s[larch]}" "${commit_s[ostree]}")
        echo "| commit v1, archive repo (s, median of $runs) | ${commit_s[ostree]} | ${commit_s[larch]} | $r | ≤ 0.5 | $(verdict "$r" 0.5) |"
        r=$(ratio "${store_b[larch]}" "${store_b[ostree]}")
        echo "| store size after commit (du -sb) | $(mb "${store_b[ostree]}") | $(mb "${store_b[larch]}") | $r | ≤ 0.9 | $(verdict "$r" 0.9) |"
        r=$(ratio "${checkout_s[larch]}" "${checkout_s[ostree]}")
        echo "| hard-link checkout, bare repo (s, median of $runs) | ${checkout_s[ostree]} | ${checkout_s[larch]} | $r | ≤ 0.7 | $(verdict "$r" 0.7) |"
    else
        echo "| commit v1, archive repo (s, median of $runs) | ${commit_s[ostree]} | - | - | ≤ 0.5 | |"
        echo "| store size after commit (du -sb) | $(mb "${store_b[ostree]}") | - | - | ≤ 0.9 | |"
        echo "| hard-link checkout, bare repo (s, median of $runs) | ${checkout_s[ostree]} | - | - | ≤ 0.7 | |"
    fi
}

details() {
    echo "- Date: $(date -u +%Y-%m-%d)"
    echo "- Machine: $machine; load average at start $load_at_start"
    echo "- Corpus v1: $(mb "$v1_bytes") (du -sb), $v1_files files, $v1_entries entries"
    local tool
    for tool in "${tools[@]}"; do
        echo "- $tool runs: commit ${commit_all[$tool]} s; checkout ${checkout_all[$tool]} s; store ${store_b[$tool]} bytes"
    done
    echo "- Command: \`tools/bench/bench-store.sh --write-docs\` (method: tools/bench/README.md)"
}

echo
table
echo
details

# The docs/benchmarks.md section (--write-docs), below its heading.
docs_section() {
    echo "Larch against OSTree on corpus v1, both measured in the same run on the same machine."
    echo "Targets: commit ≤ 0.5× OSTree's time, store ≤ 0.9× its size, hard-link checkout ≤ 0.7× its time."
    echo
    table
    echo
    details
}

if [ "$write_docs" = 1 ]; then
    write_docs_section "Object store (issue 2)" docs_section
fi
