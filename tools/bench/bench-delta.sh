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
# and two more pairs, where most files have no base (issue 16): v2 -> v3
# (a feature update: python3, openssh-server and curl added) and empty ->
# v2 (a full delta): bytes of both tools' deltas, and applying v2 -> v3
# (time of one run per BENCH_RUNS, peak RSS) to bare stores holding v2.
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
# apply_runs LNAME ONAME LDEV LDELTA ODEV ODELTA TREE: apply larch's and
# ostree's delta BENCH_RUNS times each, into fresh copies of the devices;
# wall times go to the arrays LNAME and ONAME, peak RSS to LNAME_kb and
# ONAME_kb. The first larch result is checked: fsck, checkout == TREE.
apply_runs() {
    local ldev=$3 ldelta=$4 odev=$5 odelta=$6 tree=$7 i s k
    declare -ga "$1=()" "$1_kb=()" "$2=()" "$2_kb=()"
    local -n ls_=$1 lkb_=$1_kb os_=$2 okb_=$2_kb
    for i in $(seq "$runs"); do
        log "apply run $i/$runs ($(basename "$tree"))"
        cp -a "$ldev" "$ldev-$i"
        read -r s k < <(measured "$LARCH" delta apply --repo "$ldev-$i" --ref b --no-verify "$ldelta")
        ls_+=("$s"); lkb_+=("$k")
        cp -a "$odev" "$odev-$i"
        read -r s k < <(measured ostree --repo="$odev-$i" static-delta apply-offline "$odelta")
        os_+=("$s"); okb_+=("$k")
    done
    log "checking the applied larch store: fsck, checkout == $(basename "$tree")"
    quiet "$LARCH" fsck --repo "$ldev-1"
    quiet "$LARCH" checkout --repo "$ldev-1" --mode copy b "$work/check-$1"
    quiet python3 "$src/tests/integration/tree_compare.py" "$tree" "$work/check-$1" --links exact
}
peak() { printf '%s\n' "$@" | sort -n | tail -n 1; }
apply_runs lapp oapp "$work/ldev" "$ldelta" "$work/odev" "$work/ostree.delta" "$V2"
lapp_s=$(median "${lapp[@]}")
oapp_s=$(median "${oapp[@]}")
lapp_peak=$(peak "${lapp_kb[@]}")
oapp_peak=$(peak "${oapp_kb[@]}")

# ------------------------------------------------------------ more pairs
# fallback_bytes ID: what a client fetches besides OSTree delta ID's
# files: its "fallback" objects (files above --min-fallback-size travel as
# plain archive objects, outside deltas/).
fallback_bytes() {
    ostree --repo="$work/opub" static-delta show "$1" |
        awk '/^Total Fallback Size:/ { print $4; f = 1 } END { if (!f) print 0 }'
}
# ostree_delta_bytes ID ARGS...: generate one OSTree delta, print the bytes
# a client downloads for it (what deltas/ grew by, plus fallback objects).
ostree_delta_bytes() {
    local before id=$1
    shift
    before=$(du -sb "$work/opub/deltas" | cut -f1)
    quiet ostree --repo="$work/opub" static-delta generate "$@"
    echo $(( $(du -sb "$work/opub/deltas" | cut -f1) - before + $(fallback_bytes "$id") ))
}
log "feature update v2 -> v3 and full delta empty -> v2"
V3=$corpus/v3
find "$V3" -type f -exec cat {} + >/dev/null
v3=$("$LARCH" commit --repo "$work/lpub" -b b --tree "$V3" -s v3 --timestamp 1700000200 2>/dev/null)
quiet ostree --repo="$work/opub" commit --branch=b --tree=dir="$V3" -s v3
o2=$(ostree --repo="$work/opub" rev-parse b^)
o3=$(ostree --repo="$work/opub" rev-parse b)
obytes=$((obytes + $(fallback_bytes "$o1-$o2")))
read -r l23gen_s l23gen_kb < <(measured "$LARCH" delta generate --repo "$work/lpub" --from "$v2" --to "$v3")
l23delta=$work/lpub/deltas/$v2-$v3
l23bytes=$(du -sb "$l23delta" | cut -f1)
"$LARCH" delta show "$l23delta" > "$work/show23.txt"
o23bytes=$(ostree_delta_bytes "$o2-$o3" --from="$o2" --to="$o3")
quiet ostree --repo="$work/opub" static-delta generate --from="$o2" --to="$o3" --inline --filename="$work/ostree23.delta"
quiet "$LARCH" delta generate --repo "$work/lpub" --from empty --to "$v2"
l02bytes=$(du -sb "$work/lpub/deltas/empty-$v2" | cut -f1)
"$LARCH" delta show "$work/lpub/deltas/empty-$v2" > "$work/show02.txt"
o02bytes=$(ostree_delta_bytes "$o2" --empty --to="$o2")
log "preparing devices (bare stores holding v2)"
quiet "$LARCH" init --repo "$work/ldev2" --mode bare
quiet "$LARCH" commit --repo "$work/ldev2" -b b --tree "$V2" -s v2 --timestamp 1700000100
quiet ostree --repo="$work/odev2" init --mode=bare
quiet ostree --repo="$work/odev2" pull-local "$work/opub" "$o2"
apply_runs l23app o23app "$work/ldev2" "$l23delta" "$work/odev2" "$work/ostree23.delta" "$V3"
l23app_peak=$(peak "${l23app_kb[@]}")
o23app_peak=$(peak "${o23app_kb[@]}")

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

header() {
    echo "| metric | ostree $ostree_version | larch ($larch_version) | larch/ostree | target | |"
    echo "|---|---:|---:|---:|---:|---|"
}

# bytes_row LABEL OSTREE_BYTES LARCH_BYTES MAX_RATIO
bytes_row() {
    local r
    r=$(ratio "$3" "$2")
    echo "| $1 | $(kb "$2") | $(kb "$3") | $r | ≤ $4 | $(verdict "$r" "$4") |"
}

table() {
    local r
    header
    r=$(ratio "$lbytes" "$obytes")
    echo "| delta v1 → v2, bytes to download | $(kb "$obytes") | $(kb "$lbytes") | $r | ≤ 0.6 | $(verdict "$r" 0.6) |"
    r=$(ratio "$lapp_s" "$oapp_s")
    echo "| apply to a bare store (s, median of $runs) | $oapp_s | $lapp_s | $r | ≤ 0.5 | $(verdict "$r" 0.5) |"
    echo "| apply, peak RSS | $(mib "$oapp_peak") | $(mib "$lapp_peak") | $(ratio "$lapp_peak" "$oapp_peak") | ≤ 64 MiB | $(verdict "$lapp_peak" 65536) |"
    echo "| generate (s, one run) | $ogen_s | $lgen_s | $(ratio "$lgen_s" "$ogen_s") | | |"
    echo "| generate, peak RSS | $(mib "$ogen_kb") | $(mib "$lgen_kb") | $(ratio "$lgen_kb" "$ogen_kb") | | |"
}

pairs_table() {
    header
    bytes_row "delta v2 → v3, bytes to download" "$o23bytes" "$l23bytes" 0.85
    bytes_row "full delta empty → v2, bytes" "$o02bytes" "$l02bytes" 0.9
    echo "| apply v2 → v3 to a bare store (s, median of $runs) | $(median "${o23app[@]}") | $(median "${l23app[@]}") | $(ratio "$(median "${l23app[@]}")" "$(median "${o23app[@]}")") | | |"
    echo "| apply v2 → v3, peak RSS | $(mib "$o23app_peak") | $(mib "$l23app_peak") | $(ratio "$l23app_peak" "$o23app_peak") | ≤ 64 MiB | $(verdict "$l23app_peak" 65536) |"
    echo "| generate v2 → v3 (s, one run; larch only) | | $l23gen_s | | | |"
    echo "| generate v2 → v3, peak RSS (larch only) | | $(mib "$l23gen_kb") | | | |"
}

pairs_details() {
    echo "- Exact sizes: v2 → v3 larch $l23bytes bytes, ostree $o23bytes bytes; empty → v2 larch $l02bytes bytes, ostree $o02bytes bytes"
    echo "- larch apply v2 → v3 runs: ${l23app[*]} s (peak RSS ${l23app_kb[*]} kB); ostree: ${o23app[*]} s (${o23app_kb[*]} kB)"
    echo "- The larch deltas (\`larch delta show\`), v2 → v3 then empty → v2:"
    echo
    echo '```'
    cat "$work/show23.txt"
    echo
    cat "$work/show02.txt"
    echo '```'
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

# The results of v1 -> v2, and of the other pairs: on stdout, and in the
# docs/benchmarks.md sections (--write-docs) below their headings.
results() {
    table
    echo
    reference_table
    echo
    details
}

pairs_results() {
    pairs_table
    echo
    pairs_details
}

echo
results
echo
pairs_results

docs_section() {
    echo "Larch's delta against OSTree's static delta for the same two trees (corpus v1 → v2),"
    echo "both measured in the same run. Targets: ≤ 0.6× OSTree's bytes, apply ≤ 0.5× its time,"
    echo "apply peak RSS ≤ 64 MiB."
    echo
    results
}

docs_pairs_section() {
    echo "The same run, two more pairs: corpus v2 → v3 (a feature update: python3,"
    echo "openssh-server and curl added, about 59 MB of new files) and the full delta of v2."
    echo "Targets: v2 → v3 ≤ 0.85× OSTree's bytes, empty → v2 ≤ 0.9×, apply peak RSS ≤ 64 MiB."
    echo
    pairs_results
}

if [ "$write_docs" = 1 ]; then
    write_docs_section "Deltas (issue 4)" docs_section
    write_docs_section "Deltas where nothing has a base (issue 16)" docs_pairs_section
fi
