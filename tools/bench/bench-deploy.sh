#!/bin/bash
# bench-deploy.sh [--write-docs] - `larch admin deploy` against `ostree admin
# deploy` of corpus v2 next to a deployed v1 (real Debian 12 roots), in one
# run on the same machine:
#
#   deploy time   deploying v2 into a sysroot where v1 is deployed and both
#                 commits are in the sysroot's bare store   (median of 3)
#   disk          blocks (du -B1) the sysroot gained by that deployment
#
# Both tools get the same trees: v1 and v2 with etc/ moved to usr/etc, since
# OSTree 2022.7 refuses a tree with /etc at the top at deploy time. OSTree
# runs with --no-prune: Larch's deploy prunes no objects either (that is
# `larch admin cleanup`), so both do the same work; the default OSTree run
# (which also prunes) is measured once for reference.
#
# Each timed run starts from a fresh copy (cp -a, untimed) of a pristine
# sysroot; `sync` before each run; wall-clock time of the command.
#
# --write-docs   also write the results into docs/benchmarks.md, section
#                "Deployments (issue 6)" (replaced if present)
# Env: LARCH (default build/tools/larch), LARCH_CORPUS, BENCH_RUNS (default 3)
# Needs root (bare stores keep owners).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=bench-deploy
# shellcheck source=lib.sh
source "$src/tools/bench/lib.sh"
LARCH=${LARCH:-$src/build/tools/larch}
runs=${BENCH_RUNS:-3}
write_docs=0
for arg in "$@"; do
    case $arg in
        --write-docs) write_docs=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: $0 [--write-docs]" >&2; exit 2 ;;
    esac
done


[ "$(id -u)" -eq 0 ] || die "run as root (bare stores keep file owners)"
command -v ostree >/dev/null || die "ostree not installed (run tools/setup.sh)"
[ -x "$LARCH" ] || die "no larch binary at $LARCH (build it first)"

corpus=$(bash "$src/tools/ensure-corpus.sh") || die "no corpus (run tools/setup.sh)"
work=$(mktemp -d /var/tmp/larch-bench-deploy.XXXXXX)
# remove DIR: OSTree marks each deployment's root immutable (chattr +i),
# so rm alone cannot take a sysroot it deployed into away.
remove() {
    find "$1" -maxdepth 7 -path '*/ostree/deploy/*/deploy/*' -type d -prune -exec chattr -i {} + 2>/dev/null || true
    rm -rf --one-file-system "$1"
}
trap 'remove "$work"' EXIT

du_b() { sync; du -s -B1 --exclude='state.db*' "$1" | cut -f1; }

load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

log "trees: v1 and v2 with etc/ as usr/etc"
for v in v1 v2; do
    cp -a "$corpus/$v" "$work/$v"
    mv "$work/$v/etc" "$work/$v/usr/etc"
done

log "pristine sysroots with v1 deployed and v2 committed"
P=$work/ostree-pristine
mkdir -p "$P"
quiet ostree admin init-fs "$P"
quiet ostree admin os-init debian --sysroot "$P"
quiet ostree --repo="$P/ostree/repo" commit --branch=os --tree=dir="$work/v1" -s v1
quiet ostree admin deploy --sysroot "$P" --os debian --karg=root=/dev/vda2 os
quiet ostree --repo="$P/ostree/repo" commit --branch=os --tree=dir="$work/v2" -s v2
L=$work/larch-pristine
mkdir -p "$L"
quiet "$LARCH" admin init-fs "$L"
quiet "$LARCH" admin os-init debian --sysroot "$L"
printf 'kernel-args=root=/dev/vda2\n' > "$L/ostree/larch.conf"
quiet "$LARCH" commit --repo "$L/ostree/repo" --branch os --tree "$work/v1" --version 1
quiet "$LARCH" admin deploy os --sysroot "$L"
quiet "$LARCH" commit --repo "$L/ostree/repo" --branch os --tree "$work/v2" --version 2
rm -rf "$work/v1" "$work/v2"

# deploy_runs TOOL [OSTREE-FLAGS...]: prints "seconds bytes" per run.
deploy_runs() {
    local tool=$1 i r before t after
    shift
    for i in $(seq "$runs"); do
        r=$work/$tool-run-$i
        cp -a "$work/$tool-pristine" "$r"
        before=$(du_b "$r")
        if [ "$tool" = ostree ]; then
            t=$(timed ostree admin deploy --sysroot "$r" --os debian "$@" os) || return 1
        else
            t=$(timed "$LARCH" admin deploy os --sysroot "$r") || return 1
        fi
        after=$(du_b "$r")
        # A hard-link deployment shares unchanged files with the first one.
        local n
        n=$(find "$r/ostree/deploy/debian/deploy" -maxdepth 1 -mindepth 1 -type d | wc -l)
        [ "$n" -eq 2 ] || { echo "bench-deploy: $tool left $n deployments" >&2; return 1; }
        echo "$t $((after - before))"
        remove "$r"
    done
}

declare -A secs bytes alls
for tool in ostree larch; do
    log "$tool: deploy v2 next to v1 x$runs"
    flags=()
    [ "$tool" = ostree ] && flags=(--no-prune)
    mapfile -t rows < <(deploy_runs "$tool" "${flags[@]}")
    [ "${#rows[@]}" -eq "$runs" ] || die "$tool deploy failed"
    ts=() bs=()
    for row in "${rows[@]}"; do ts+=("${row% *}"); bs+=("${row#* }"); done
    secs[$tool]=$(median "${ts[@]}")
    bytes[$tool]=$(median "${bs[@]}")
    alls[$tool]="${ts[*]} s; ${bs[*]} bytes"
done
log "ostree: default deploy (prunes too), once for reference"
runs_saved=$runs runs=1
mapfile -t rows < <(deploy_runs ostree)
runs=$runs_saved
ostree_default=${rows[0]% *}

v2_bytes=$(du -sb "$corpus/v2" | cut -f1)
machine="$(nproc) cores, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r), $(df -T "$work" | awk 'NR == 2 { print $2 }') on /var/tmp"
ostree_version=$(ostree --version | awk -F"'" '/Version/ { print $2; exit }')
larch_version=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)
r=$(ratio "${secs[larch]}" "${secs[ostree]}")
rd=$(ratio "${bytes[larch]}" "${bytes[ostree]}")

table() {
    echo "| metric | ostree $ostree_version | larch ($larch_version) | larch/ostree | target | |"
    echo "|---|---:|---:|---:|---:|---|"
    echo "| deploy v2 next to v1 (s, median of $runs) | ${secs[ostree]} | ${secs[larch]} | $r | ≤ 0.7 | $(verdict "$r" 0.7) |"
    echo "| disk used by the second deployment (du -B1, median) | $(mb "${bytes[ostree]}") | $(mb "${bytes[larch]}") | $rd | | |"
}
details() {
    echo "- Date: $(date -u +%Y-%m-%d)"
    echo "- Machine: $machine; load average at start $load_at_start"
    echo "- Corpus v2: $(mb "$v2_bytes") (du -sb); both commits already in the sysroot's bare store"
    echo "- ostree runs (--no-prune): ${alls[ostree]}; default ostree deploy (prunes too), one run: $ostree_default s"
    echo "- larch runs: ${alls[larch]}"
    echo "- Command: \`tools/bench/bench-deploy.sh --write-docs\` (method: tools/bench/README.md)"
}

echo
table
echo
details

# The docs/benchmarks.md section (--write-docs), below its heading.
docs_section() {
    echo "\`larch admin deploy\` against \`ostree admin deploy\` of corpus v2 next to a deployed v1, in the same run."
    echo "Target: ≤ 0.7× OSTree's time. Disk: what the sysroot gained by the second deployment."
    echo
    table
    echo
    echo "Both tools deploy the same way: a hard link for every file, one new directory block per"
    echo "directory and a copy of \`/etc\`, so the second deployment costs about the same on disk for"
    echo "both. Wall times on a shared machine vary between runs of the same binary: see the runs below."
    echo
    details
}

if [ "$write_docs" = 1 ]; then
    write_docs_section "Deployments (issue 6)" docs_section
fi
