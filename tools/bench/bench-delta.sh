#!/bin/bash
# bench-delta.sh [--write-docs] [--no-reference] - Larch's deltas against
# OSTree's static deltas on the real pair (corpus v1 -> v2, a Debian 12
# security update), measured side by side in one run:
#
#   size      bytes a device downloads: larch deltas/<from>-<to>/ (superblock
#             + parts) vs ostree's deltas/ (superblock + parts)
#   generate  wall time and peak RSS of `larch delta generate` vs
#             `ostree static-delta generate`
#   apply     wall time (median of BENCH_RUNS) and peak RSS of applying it to
#             a bare store holding v1: `larch delta apply` vs `ostree
#             static-delta apply-offline`, each into a fresh copy
#
# and, for reference, what other approaches would transfer: the full image
# (tar | zstd -19) and the sums of per-file `zstd -19 --patch-from`, `bsdiff`
# and `xdelta3 -9` over the changed files (--no-reference skips these).
# The applied larch store is checked with fsck and its checkout compared
# with v2 (tree_compare.py), so a figure is never reported for a wrong result.
#
# --write-docs   also write the results into docs/benchmarks.md, section
#                "Deltas (issue 4)" (replaced if present)
#
# Env: LARCH (default build/tools/larch), LARCH_CORPUS, BENCH_RUNS (default 3)
# Needs root: bare stores keep file owners.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=bench-delta
# shellcheck source=lib.sh
source "$src/tools/bench/lib.sh"
LARCH=${LARCH:-$src/build/tools/larch}
runs=${BENCH_RUNS:-3}
write_docs=0
reference=1
for arg in "$@"; do
    case $arg in
        --write-docs) write_docs=1 ;;
        --no-reference) reference=0 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: $0 [--write-docs] [--no-reference]" >&2; exit 2 ;;
    esac
done


[ "$(id -u)" -eq 0 ] || die "run as root (bare stores keep file owners)"
command -v ostree >/dev/null || die "ostree not installed (run tools/setup.sh)"
[ -x /usr/bin/time ] || die "/usr/bin/time not installed"
[ -x "$LARCH" ] || die "no larch binary at $LARCH"

corpus=$(bash "$src/tools/ensure-corpus.sh") || die "no corpus (run tools/setup.sh)"
V1=$corpus/v1
V2=$corpus/v2
work=$(mktemp -d /var/tmp/larch-bench-delta.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT

log "warming the page cache"
find "$V1" "$V2" -type f -exec cat {} + >/dev/null

# ------------------------------------------------------------ publishers
log "committing v1 and v2 (larch archive store, ostree archive repo)"
TS=(--timestamp 1700000000)
quiet "$LARCH" init --repo "$work/lpub" --mode archive
v1=$("$LARCH" commit --repo "$work/lpub" -b b --tree "$V1" -s v1 "${TS[@]}" 2>/dev/null)
v2=$("$LARCH" commit --repo "$work/lpub" -b b --tree "$V2" -s v2 --timestamp 1700000100 2>/dev/null)
quiet ostree --repo="$work/opub" init --mode=archive
quiet ostree --repo="$work/opub" commit --branch=b --tree=dir="$V1" -s v1
quiet ostree --repo="$work/opub" commit --branch=b --tree=dir="$V2" -s v2
o1=$(ostree --repo="$work/opub" rev-parse b^)

# ------------------------------------------------------------ generate
log "generating: larch delta generate"
read -r lgen_s lgen_kb < <(measured "$LARCH" delta generate --repo "$work/lpub" --from "$v1" --to "$v2")
ldelta=$work/lpub/deltas/$v1-$v2
lbytes=$(du -sb "$ldelta" | cut -f1)
"$LARCH" delta show "$ldelta" > "$work/show.txt"
log "generating: ostree static-delta generate"
read -r ogen_s ogen_kb < <(measured ostree --repo="$work/opub" static-delta generate b)
obytes=$(du -sb "$work/opub/deltas" | cut -f1)
# The same delta as one file, for apply-offline (not timed).
quiet ostree --repo="$work/opub" static-delta generate b --inline --filename="$work/ostree.delta"

# ------------------------------------------------------------ apply
# Devices: bare stores holding v1, made once and copied for each run.
log "preparing devices (bare stores holding v1)"
quiet "$LARCH" init --repo "$work/ldev" --mode bare
quiet "$LARCH" commit --repo "$work/ldev" -b b --tree "$V1" -s v1 "${TS[@]}"
quiet ostree --repo="$work/odev" init --mode=bare
quiet ostree --repo="$work/odev" pull-local "$work/opub" "$o1"
lapp=() lapp_kb=() oapp=() oapp_kb=()
for i in $(seq "$runs"); do
    log "apply run $i/$runs"
    cp -a "$work/ldev" "$work/ldev-$i"
    read -r s k < <(measured "$LARCH" delta apply --repo "$work/ldev-$i" --ref b --no-verify "$ldelta")
    lapp+=("$s"); lapp_kb+=("$k")
    cp -a "$work/odev" "$work/odev-$i"
    read -r s k < <(measured ostree --repo="$work/odev-$i" static-delta apply-offline "$work/ostree.delta")
    oapp+=("$s"); oapp_kb+=("$k")
done
log "checking the applied larch store: fsck, checkout == v2"
quiet "$LARCH" fsck --repo "$work/ldev-1"
quiet "$LARCH" checkout --repo "$work/ldev-1" --mode copy b "$work/check"
quiet python3 "$src/tests/integration/tree_compare.py" "$V2" "$work/check" --links exact
lapp_s=$(median "${lapp[@]}")
oapp_s=$(median "${oapp[@]}")
lapp_peak=$(printf '%s\n' "${lapp_kb[@]}" | sort -n | tail -n 1)
oapp_peak=$(printf '%s\n' "${oapp_kb[@]}" | sort -n | tail -n 1)

# ------------------------------------------------------------ reference
declare -A ref
if [ "$reference" = 1 ]; then
    log "reference: full image, per-file patch tools (a few minutes)"
    ref[image]=$(tar --sort=name -C "$V2" -cf - . | zstd -q -19 -T2 | wc -c)
    # Changed regular files, once each (usrmerge: /lib is /usr/lib).
    (cd "$V2" && find . -xdev -type f -print0) | while IFS= read -r -d '' f; do
        if [ ! -f "$V1/$f" ]; then
            printf 'new\t%s\n' "$f"
        elif ! cmp -s "$V1/$f" "$V2/$f"; then
            printf 'changed\t%s\n' "$f"
        fi
    done > "$work/changes"
    for tool in zstd bsdiff xdelta3; do
        total=0
        while IFS=$'\t' read -r kind f; do
            if [ "$kind" = new ]; then
                n=$(zstd -q -19 -c "$V2/$f" | wc -c)
            else
                case $tool in
                    zstd) n=$(zstd -q -19 --long=27 --patch-from="$V1/$f" -c "$V2/$f" | wc -c) ;;
                    bsdiff) bsdiff "$V1/$f" "$V2/$f" "$work/p" && n=$(stat -c %s "$work/p") ;;
                    xdelta3) n=$(xdelta3 -9 -e -s "$V1/$f" -c "$V2/$f" | wc -c) ;;
                esac
            fi
            total=$((total + n))
        done < "$work/changes"
        ref[$tool]=$total
    done
fi

# ------------------------------------------------------------ report
ostree_version=$(ostree --version | awk -F"'" '/Version/ { print $2; exit }')
larch_version=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)
machine="$(nproc) cores, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r), $(df -T "$work" | awk 'NR == 2 { print $2 }') on /var/tmp"

table() {
    local r
    echo "| metric | ostree $ostree_version | larch ($larch_version) | larch/ostree | target | |"
    echo "|---|---:|---:|---:|---:|---|"
    r=$(ratio "$lbytes" "$obytes")
    echo "| delta v1 → v2, bytes to download | $(kb "$obytes") | $(kb "$lbytes") | $r | ≤ 0.6 | $(verdict "$r" 0.6) |"
    r=$(ratio "$lapp_s" "$oapp_s")
    echo "| apply to a bare store (s, median of $runs) | $oapp_s | $lapp_s | $r | ≤ 0.5 | $(verdict "$r" 0.5) |"
    echo "| apply, peak RSS | $(mib "$oapp_peak") | $(mib "$lapp_peak") | $(ratio "$lapp_peak" "$oapp_peak") | ≤ 64 MiB | $(verdict "$lapp_peak" 65536) |"
    echo "| generate (s, one run) | $ogen_s | $lgen_s | $(ratio "$lgen_s" "$ogen_s") | | |"
    echo "| generate, peak RSS | $(mib "$ogen_kb") | $(mib "$lgen_kb") | $(ratio "$lgen_kb" "$ogen_kb") | | |"
}

reference_table() {
    [ "$reference" = 1 ] || return 0
    echo "| what a device downloads for v1 → v2 | bytes |"
    echo "|---|---:|"
    echo "| full image, tar + zstd -19 | $(kb "${ref[image]}") |"
    echo "| casync chunks new in v2 (RAUC style; casync is not packaged in Debian 12: figure from issue 4) | 11.5 MB |"
    echo "| sum of per-file zstd -19 --patch-from | $(kb "${ref[zstd]}") |"
    echo "| sum of per-file bsdiff | $(kb "${ref[bsdiff]}") |"
    echo "| sum of per-file xdelta3 -9 | $(kb "${ref[xdelta3]}") |"
    echo "| OSTree static delta | $(kb "$obytes") |"
    echo "| **Larch delta** | **$(kb "$lbytes")** |"
}

details() {
    echo "- Date: $(date -u +%Y-%m-%d); machine: $machine"
    echo "- larch apply runs: ${lapp[*]} s (peak RSS ${lapp_kb[*]} kB); ostree: ${oapp[*]} s (${oapp_kb[*]} kB)"
    echo "- Exact sizes: larch $lbytes bytes, ostree $obytes bytes"
    echo "- What the larch delta holds (\`larch delta show\`):"
    echo
    echo '```'
    cat "$work/show.txt"
    echo '```'
    echo
    echo "- Command: \`tools/bench/bench-delta.sh --write-docs\` (method: tools/bench/README.md)"
}

echo
table
echo
reference_table
echo
details

if [ "$write_docs" = 1 ]; then
    section=$work/section.md
    {
        echo "## Deltas (issue 4)"
        echo
        echo "Larch's delta against OSTree's static delta for the same two trees (corpus v1 → v2),"
        echo "both measured in the same run. Targets: ≤ 0.6× OSTree's bytes, apply ≤ 0.5× its time,"
        echo "apply peak RSS ≤ 64 MiB."
        echo
        table
        echo
        reference_table
        echo
        details
    } > "$section"
    python3 "$src/tools/bench/docs_section.py" "$src/docs/benchmarks.md" "Deltas (issue 4)" "$section"
    log "wrote docs/benchmarks.md"
fi
