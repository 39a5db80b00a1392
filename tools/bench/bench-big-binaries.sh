#!/bin/bash
# bench-big-binaries.sh [--pairs a,b] [--write-docs] [--no-reference] [--no-bsdiff]
# - Larch's deltas against OSTree's static deltas and per-file patch tools on
# big real binaries: two versions of large Debian 12 packages
# (tools/bench/make-big-binaries.sh, built here when missing), side by side
# in one run, per pair:
#
#   bytes     larch: the files of deltas/<old>-<new>/ (superblock + parts);
#             ostree, default `static-delta generate`: superblock + parts +
#             its fallback objects (files above 4 MB with no similar old
#             file are not in the delta: a pull fetches them as objects; the
#             compressed size `static-delta show` reports is added);
#             ostree, tuned (--max-bsdiff-size=2000 --min-fallback-size=0:
#             bsdiff for files up to 2000 MB, no fallback): superblock + parts
#   reference sums over the changed files (same path, other bytes) of
#             per-file `bsdiff`, `xdelta3 -9 -D` and `zstd -19 --long=31
#             --patch-from`, each plus the files new in this version
#             compressed whole by the best of them; "best per file" takes
#             the smallest of the three for every file
#   generate  wall time and peak RSS of `larch delta generate` and of both
#             `ostree static-delta generate` runs (one run each)
#   device    peak RSS and time of `larch delta apply` into an archive store,
#             `larch bundle apply` of a signed bundle and `larch pull` over a
#             real nginx on 127.0.0.1 (the delta offered in the signed
#             summary), one run each, each store checked by fsck
#   apply     wall time and peak RSS of `larch delta apply` into a bare store
#             holding the old commit and of `ostree static-delta apply-offline`
#             (the tuned delta: the default one's fallback objects are not in
#             it) into a bare repo holding it (median of BENCH_RUNS)
#
# The applied larch store is checked (fsck; checkout identical to the new
# tree), the applied ostree repo too (fsck; the new commit is there), before a
# figure is printed.
#
# --pairs a,b    only these pairs (default: all; names in make-big-binaries.sh)
# --write-docs   also write the results into docs/benchmarks.md, section
#                "Big binaries (issue 16)" (replaced if present)
# --no-reference skip the per-file tools (the slow part)
# --no-bsdiff    skip per-file bsdiff (minutes and ~17x the file in memory
#                for each file of tens of MB)
#
# Env: LARCH (default build/tools/larch), LARCH_BIG_BINARIES (the corpus,
# default /var/tmp/larch-big-binaries), BENCH_RUNS (apply runs, default 1)
# Needs root: bare stores keep file owners.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=bench-big-binaries
# The tests' nginx (lib-http.sh): its exit hooks run from this script's trap;
# lib.sh comes after it, for the benchmarks' log and ratio.
LARCH_SOURCE_DIR=$src
LARCH_EXIT_HOOKS=()
larch_on_exit() { LARCH_EXIT_HOOKS+=("$1"); }
fail() { die "$*"; }
# shellcheck source-path=SCRIPTDIR/../../tests/integration source=../../tests/integration/lib-http.sh
source "$src/tests/integration/lib-http.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$src/tools/bench/lib.sh"
LARCH=${LARCH:-$src/build/tools/larch}
corpus=${LARCH_BIG_BINARIES:-/var/tmp/larch-big-binaries}
runs=${BENCH_RUNS:-1}
write_docs=0
reference=1
use_bsdiff=1
pairs=()
usage() { echo "usage: $0 [--pairs a,b] [--write-docs] [--no-reference] [--no-bsdiff]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --pairs) [ $# -ge 2 ] || usage; IFS=, read -r -a pairs <<< "$2"; shift ;;
        --pairs=*) IFS=, read -r -a pairs <<< "${1#--pairs=}" ;;
        --write-docs) write_docs=1 ;;
        --no-reference) reference=0 ;;
        --no-bsdiff) use_bsdiff=0 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) usage ;;
    esac
    shift
done

[ "$(id -u)" -eq 0 ] || die "run as root (bare stores keep file owners)"
for tool in ostree bsdiff xdelta3 zstd; do
    command -v "$tool" >/dev/null || die "$tool not installed (run tools/setup.sh)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time not installed"
[ -x "$LARCH" ] || die "no larch binary at $LARCH"

# The corpus: complete pairs are kept, missing ones built (downloads).
bash "$src/tools/bench/make-big-binaries.sh" "$corpus" "${pairs[@]}"
if [ ${#pairs[@]} -eq 0 ]; then
    for d in "$corpus"/*/versions.txt; do
        [ -e "$d" ] && pairs+=("$(basename "$(dirname "$d")")")
    done
fi
todo=()
for pair in "${pairs[@]}"; do
    if [ -f "$corpus/$pair/versions.txt" ]; then todo+=("$pair"); else log "$pair: not in the corpus, skipped"; fi
done
[ ${#todo[@]} -gt 0 ] || die "no pair to measure"

work=$(mktemp -d /var/tmp/larch-bench-big.XXXXXX)
LARCH_TEST_TMP=$work
on_exit() {
    local i
    for ((i = ${#LARCH_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do "${LARCH_EXIT_HOOKS[i]}" || true; done
    rm -rf --one-file-system "$work"
}
trap on_exit EXIT
# The publisher's key: signed commits, deltas, bundles and summaries.
quiet "$LARCH" key generate -o "$work/key"
mkdir "$work/ring"
cp "$work/key.pub" "$work/ring/"
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
: > "$work/perfile-all"

# R[pair,metric]: the results.
declare -A R

# ostree_delta PAIR KIND ARGS...: generate the static delta old -> new of the
# archive repo $w/opub with ARGS, measured; record its bytes (files of the
# delta directory + fallback objects) and move it to $w/odelta-KIND.
ostree_delta() {
    local pair=$1 kind=$2 s k d files fallback
    shift 2
    log "$pair: ostree static-delta generate ($kind)"
    read -r s k < <(measured ostree --repo="$w/opub" static-delta generate --from="$o1" --to="$o2" "$@")
    R[$pair,ogen_${kind}_s]=$s R[$pair,ogen_${kind}_kb]=$k
    fallback=$(ostree --repo="$w/opub" static-delta show "$o1-$o2" |
        awk -F': ' '$1 == "Total Fallback Size" { split($2, f, " "); print f[1] }')
    d=$(dirname "$(find "$w/opub/deltas" -name superblock)")
    files=$(file_bytes "$d")
    R[$pair,o_${kind}_files]=$files R[$pair,o_${kind}_fallback]=${fallback:-0}
    R[$pair,o_$kind]=$((files + ${fallback:-0}))
    mv "$d" "$w/odelta-$kind"
    rm -rf "$w/opub/deltas"
}

# patch_size TOOL OLD NEW: bytes of NEW's patch against OLD (OLD empty: NEW
# compressed whole).
patch_size() {
    local tool=$1 old=$2 new=$3 b
    case $tool in
        zstd)
            if [ -n "$old" ]; then
                zstd -q -19 --long=31 --patch-from="$old" -c "$new" 2>/dev/null | wc -c
            else
                zstd -q -19 --long=31 -c "$new" | wc -c
            fi ;;
        xdelta3)
            if [ -n "$old" ]; then
                # Source window: the whole old file (default 64 MiB).
                b=$(stat -c %s "$old")
                b=$((b < 67108864 ? 67108864 : b > 2147483648 ? 2147483648 : b))
                xdelta3 -9 -D -e -B "$b" -s "$old" -c "$new" | wc -c
            else
                xdelta3 -9 -D -e -c "$new" | wc -c
            fi ;;
        bsdiff)
            # bsdiff cannot read an empty old file: from nothing is from one byte.
            bsdiff "${old:-$work/one-byte}" "$new" "$work/patch"
            stat -c %s "$work/patch" ;;
    esac
}

# reference PAIR: per-file patch sizes over the changed and new files.
reference() {
    local pair=$1 old=$corpus/$1/old new=$corpus/$1/new kind f tool n best sizes
    local tools=(zstd xdelta3)
    [ "$use_bsdiff" = 1 ] && tools+=(bsdiff)
    printf x > "$work/one-byte"
    (cd "$new" && find . -xdev -type f -print0 | sort -z) | while IFS= read -r -d '' f; do
        if [ ! -f "$old/$f" ]; then
            printf 'new\t%s\n' "$f"
        elif ! cmp -s "$old/$f" "$new/$f"; then
            printf 'changed\t%s\n' "$f"
        fi
    done > "$w/changes"
    declare -A sum=()
    for tool in "${tools[@]}" best; do sum[$tool]=0; done
    R[$pair,new_files]=0 R[$pair,new_bytes]=0 R[$pair,new_best]=0
    R[$pair,changed_files]=0 R[$pair,changed_bytes]=0 R[$pair,over_8mib]=0
    while IFS=$'\t' read -r kind f; do
        n=$(stat -c %s "$new/$f")
        log "$pair: per-file tools: $kind $f ($(mb "$n"))"
        sizes=()
        for tool in "${tools[@]}"; do
            if [ "$kind" = new ]; then
                sizes+=("$(patch_size "$tool" "" "$new/$f")")
            else
                sizes+=("$(patch_size "$tool" "$old/$f" "$new/$f")")
            fi
        done
        best=$(printf '%s\n' "${sizes[@]}" | sort -n | head -n 1)
        if [ "$kind" = new ]; then
            R[$pair,new_files]=$((${R[$pair,new_files]} + 1))
            R[$pair,new_bytes]=$((${R[$pair,new_bytes]} + n))
            R[$pair,new_best]=$((${R[$pair,new_best]} + best))
        else
            R[$pair,changed_files]=$((${R[$pair,changed_files]} + 1))
            R[$pair,changed_bytes]=$((${R[$pair,changed_bytes]} + n))
            [ "$n" -le $((8 << 20)) ] || R[$pair,over_8mib]=$((${R[$pair,over_8mib]} + 1))
            for i in "${!tools[@]}"; do
                sum[${tools[i]}]=$((sum[${tools[i]}] + sizes[i]))
            done
            sum[best]=$((sum[best] + best))
        fi
        printf '%s\t%s\t%s\t%s\t%s\n' "$pair" "$kind" "$n" "$f" "$(paste -sd' ' <(printf '%s\n' "${sizes[@]}"))" >> "$work/perfile-all"
    done < "$w/changes"
    for tool in "${tools[@]}" best; do
        R[$pair,ref_$tool]=$((sum[$tool] + ${R[$pair,new_best]}))
    done
}

# larch_commit STORE TREE VERSION: commit TREE as version VERSION of ref b
# (the same id in every store: fixed subject and timestamp); prints the id.
larch_commit() {
    "$LARCH" commit --repo "$1" -b b --tree "$2" -s "v$3" --version "$3" \
        --timestamp $((1700000000 + $3)) 2>/dev/null
}

# larch_device DIR MODE TREE: a new store of MODE holding TREE as version 1,
# the old commit of the publisher's store (a device before the update).
larch_device() {
    quiet "$LARCH" init --repo "$1" --mode "$2"
    larch_commit "$1" "$3" 1 >/dev/null
}

# device_paths PAIR: peak RSS of the other ways the update reaches a device
# (one run each, each checked by fsck): `delta apply` into an archive store,
# `bundle apply` of a signed bundle and `pull` over nginx (the delta offered
# in the signed summary) into bare stores. Uses l1, l2, ldelta of bench_pair.
device_paths() {
    local pair=$1 s k d
    log "$pair: delta apply into an archive store"
    larch_device "$w/larch-archive" archive "$corpus/$pair/old"
    read -r s k < <(measured "$LARCH" delta apply --repo "$w/larch-archive" --ref b --no-verify "$ldelta")
    R[$pair,archive_s]=$s R[$pair,archive_kb]=$k
    quiet "$LARCH" fsck --repo "$w/larch-archive"
    rm -rf "$w/larch-archive"

    log "$pair: bundle create and apply"
    read -r s k < <(measured "$LARCH" bundle create --repo "$w/lpub" --from "$l1" --to "$l2" \
        --sign-key "$work/key.key" "$w/update.bundle")
    R[$pair,bcreate_s]=$s R[$pair,bcreate_kb]=$k R[$pair,bundle]=$(stat -c %s "$w/update.bundle")
    larch_device "$w/larch-bundle" bare "$corpus/$pair/old"
    read -r s k < <(measured "$LARCH" bundle apply --repo "$w/larch-bundle" --keyring "$work/ring" \
        --ref b "$w/update.bundle")
    R[$pair,bundle_s]=$s R[$pair,bundle_kb]=$k
    quiet "$LARCH" fsck --repo "$w/larch-bundle"
    rm -rf "$w/larch-bundle" "$w/update.bundle"

    log "$pair: pull over nginx on 127.0.0.1"
    quiet "$LARCH" summary --repo "$w/lpub" --update -k "$work/key.key"
    start_nginx "$w/lpub"
    larch_device "$w/larch-pull" bare "$corpus/$pair/old"
    quiet "$LARCH" remote add --repo "$w/larch-pull" origin "$NGINX_URL" --keyring "$work/ring"
    d=$(nginx_mark)
    read -r s k < <(measured "$LARCH" pull --repo "$w/larch-pull" origin b)
    nginx_settle
    R[$pair,pull_s]=$s R[$pair,pull_kb]=$k R[$pair,pull_bytes]=$(nginx_bytes_sent "$d")
    stop_nginx
    grep -q "by delta" "$work/out" || die "$pair: the pull did not use the delta: $(cat "$work/out")"
    quiet "$LARCH" fsck --repo "$w/larch-pull"
    rm -rf "$w/larch-pull"
}

bench_pair() {
    local pair=$1 old=$corpus/$1/old new=$corpus/$1/new s k i l1 l2 ldelta
    w=$work/$pair
    mkdir -p "$w"
    log "$pair: warming the page cache"
    find "$old" "$new" -type f -exec cat {} + >/dev/null
    R[$pair,old_bytes]=$(file_bytes "$old") R[$pair,new_tree_bytes]=$(file_bytes "$new")

    log "$pair: committing old and new (larch archive store, ostree archive repo)"
    quiet "$LARCH" init --repo "$w/lpub" --mode archive
    l1=$(larch_commit "$w/lpub" "$old" 1)
    l2=$(larch_commit "$w/lpub" "$new" 2)
    quiet "$LARCH" sign --repo "$w/lpub" "$l1" -k "$work/key.key"
    quiet "$LARCH" sign --repo "$w/lpub" "$l2" -k "$work/key.key"
    quiet ostree --repo="$w/opub" init --mode=archive
    # The ids ostree commit prints, the parent named: twice `rev-parse b^`
    # found no parent for the new commit (not understood; docs/benchmarks.md).
    o1=$(ostree --repo="$w/opub" commit --branch=b --tree=dir="$old" -s old) || die "$pair: ostree commit of old failed"
    o2=$(ostree --repo="$w/opub" commit --branch=b --parent="$o1" --tree=dir="$new" -s new) ||
        die "$pair: ostree commit of new failed"

    log "$pair: larch delta generate"
    read -r s k < <(measured "$LARCH" delta generate --repo "$w/lpub" --from "$l1" --to "$l2" --sign-key "$work/key.key")
    R[$pair,lgen_s]=$s R[$pair,lgen_kb]=$k
    ldelta=$w/lpub/deltas/$l1-$l2
    R[$pair,larch]=$(file_bytes "$ldelta")
    "$LARCH" delta show "$ldelta" > "$work/$pair.show"
    ostree_delta "$pair" default
    ostree_delta "$pair" tuned --max-bsdiff-size=2000 --min-fallback-size=0
    [ "${R[$pair,o_tuned_fallback]}" = 0 ] || die "$pair: the tuned ostree delta has fallback objects"

    log "$pair: preparing devices (bare stores holding the old commit)"
    larch_device "$w/ldev" bare "$old"
    quiet ostree --repo="$w/odev" init --mode=bare
    quiet ostree --repo="$w/odev" pull-local "$w/opub" "$o1"
    local lapp=() lkb=() oapp=() okb=()
    for i in $(seq "$runs"); do
        log "$pair: apply run $i/$runs"
        rm -rf "$w/ldev-run" "$w/odev-run"
        cp -a "$w/ldev" "$w/ldev-run"
        read -r s k < <(measured "$LARCH" delta apply --repo "$w/ldev-run" --ref b --no-verify "$ldelta")
        lapp+=("$s") lkb+=("$k")
        cp -a "$w/odev" "$w/odev-run"
        read -r s k < <(measured ostree --repo="$w/odev-run" static-delta apply-offline "$w/odelta-tuned")
        oapp+=("$s") okb+=("$k")
    done
    log "$pair: checking the applied stores (fsck; larch checkout == new)"
    quiet "$LARCH" fsck --repo "$w/ldev-run"
    quiet "$LARCH" checkout --repo "$w/ldev-run" --mode copy b "$w/check"
    quiet python3 "$src/tests/integration/tree_compare.py" "$new" "$w/check" --links exact
    quiet ostree --repo="$w/odev-run" fsck
    quiet ostree --repo="$w/odev-run" ls "$o2" /
    R[$pair,lapp_s]=$(median "${lapp[@]}") R[$pair,oapp_s]=$(median "${oapp[@]}")
    R[$pair,lapp_kb]=$(printf '%s\n' "${lkb[@]}" | sort -n | tail -n 1)
    R[$pair,oapp_kb]=$(printf '%s\n' "${okb[@]}" | sort -n | tail -n 1)
    R[$pair,lapp_runs]="${lapp[*]}" R[$pair,oapp_runs]="${oapp[*]}"

    device_paths "$pair"
    if [ "$reference" = 1 ]; then reference "$pair"; fi
    # Only the results stay: the stores of a big pair are hundreds of MB.
    rm -rf --one-file-system "$w"
}

for pair in "${todo[@]}"; do bench_pair "$pair"; done

# ------------------------------------------------------------ report
ostree_version=$(ostree --version | awk -F"'" '/Version/ { print $2; exit }')
larch_version=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)
machine="$(nproc) cores, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r), $(df -T "$work" | awk 'NR == 2 { print $2 }') on /var/tmp"

omin() { local a=${R[$1,o_default]} b=${R[$1,o_tuned]}; echo $((a < b ? a : b)); }

bytes_table() {
    local p ref
    echo "| pair | larch | ostree default | ostree tuned | larch / ostree min | bsdiff | xdelta3 -9 -D | zstd -19 --patch-from | best per file | larch / best per file |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for p in "${todo[@]}"; do
        ref=("n/a" "n/a" "n/a" "n/a" "n/a")
        if [ "$reference" = 1 ]; then
            ref=("$( [ "$use_bsdiff" = 1 ] && mb "${R[$p,ref_bsdiff]}" 2 || echo "not run")"
                 "$(mb "${R[$p,ref_xdelta3]}" 2)" "$(mb "${R[$p,ref_zstd]}" 2)"
                 "$(mb "${R[$p,ref_best]}" 2)" "$(ratio "${R[$p,larch]}" "${R[$p,ref_best]}")")
        fi
        echo "| $p | **$(mb "${R[$p,larch]}" 2)** | $(mb "${R[$p,o_default]}" 2) | $(mb "${R[$p,o_tuned]}" 2) | $(ratio "${R[$p,larch]}" "$(omin "$p")") | ${ref[0]} | ${ref[1]} | ${ref[2]} | ${ref[3]} | ${ref[4]} |"
    done
}

time_table() {
    local p
    echo "| pair | larch generate | ostree generate, default | ostree generate, tuned | larch apply | ostree apply-offline (tuned) | larch / ostree apply time |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for p in "${todo[@]}"; do
        echo "| $p | ${R[$p,lgen_s]} s, $(mib "${R[$p,lgen_kb]}") | ${R[$p,ogen_default_s]} s, $(mib "${R[$p,ogen_default_kb]}") | ${R[$p,ogen_tuned_s]} s, $(mib "${R[$p,ogen_tuned_kb]}") | ${R[$p,lapp_s]} s, $(mib "${R[$p,lapp_kb]}") | ${R[$p,oapp_s]} s, $(mib "${R[$p,oapp_kb]}") | $(ratio "${R[$p,lapp_s]}" "${R[$p,oapp_s]}") |"
    done
}

device_table() {
    local p
    echo "| pair | delta apply, bare | delta apply, archive | bundle apply, bare | pull over HTTP, bare | bytes the pull received | bundle create |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for p in "${todo[@]}"; do
        echo "| $p | ${R[$p,lapp_s]} s, $(mib "${R[$p,lapp_kb]}") | ${R[$p,archive_s]} s, $(mib "${R[$p,archive_kb]}") | ${R[$p,bundle_s]} s, $(mib "${R[$p,bundle_kb]}") | ${R[$p,pull_s]} s, $(mib "${R[$p,pull_kb]}") | $(kb "${R[$p,pull_bytes]}") | ${R[$p,bcreate_s]} s, $(mib "${R[$p,bcreate_kb]}") |"
    done
}

details() {
    local p
    echo "- Date: $(date -u +%Y-%m-%d); machine: $machine; load average at start $load_at_start"
    echo "- ostree $ostree_version; larch $larch_version; apply: median of $runs run(s) into a fresh copy of the device"
    for p in "${todo[@]}"; do
        echo "- $p: $(awk '$2 != "tree" { v[$1, $2] = $3 " (" $4 ")"; if ($1 == "old") pkgs[++n] = $2 }
            END { for (i = 1; i <= n; i++) printf "%s%s %s → %s", (i > 1 ? "; " : ""), pkgs[i], v["old", pkgs[i]], v["new", pkgs[i]] }' \
            "$corpus/$p/versions.txt")"
        echo "  - trees: old $(mb "${R[$p,old_bytes]}"), new $(mb "${R[$p,new_tree_bytes]}")"
        if [ "$reference" = 1 ]; then
            echo "  - changed files: ${R[$p,changed_files]} ($(mb "${R[$p,changed_bytes]}") in the new tree, ${R[$p,over_8mib]} of them over 8 MiB); new files: ${R[$p,new_files]} ($(mb "${R[$p,new_bytes]}"), $(mb "${R[$p,new_best]}" 2) compressed, included in each per-file sum)"
        fi
        echo "  - exact bytes: larch ${R[$p,larch]}; ostree default ${R[$p,o_default]} (delta files ${R[$p,o_default_files]} + fallback objects ${R[$p,o_default_fallback]}); ostree tuned ${R[$p,o_tuned]}"
        echo "  - apply runs: larch ${R[$p,lapp_runs]} s; ostree ${R[$p,oapp_runs]} s"
        echo "  - what the larch delta holds (\`larch delta show\`):"
        echo
        echo '    ```'
        sed 's/^/    /' "$work/$p.show"
        echo '    ```'
        echo
    done
    if [ "$reference" = 1 ]; then
        echo "- Per file (bytes of the new file; then zstd, xdelta3$([ "$use_bsdiff" = 1 ] && echo ", bsdiff") sizes):"
        echo
        echo '```'
        awk -F'\t' '{ printf "%s %-7s %10s %s  %s\n", $1, $2, $3, $4, $5 }' "$work/perfile-all"
        echo '```'
        echo
    fi
    echo "- Command: \`tools/bench/bench-big-binaries.sh$([ ${#pairs[@]} -gt 0 ] && echo " --pairs $(IFS=,; echo "${todo[*]}")") --write-docs\` (method: tools/bench/README.md)"
}

echo
bytes_table
echo
time_table
echo
device_table
echo
details

# The docs/benchmarks.md section (--write-docs), below its heading.
docs_section() {
    echo "Two versions of big real Debian 12 packages (tools/bench/make-big-binaries.sh), one"
    echo "delta each: Larch against OSTree's static delta, default and tuned"
    echo "(\`--max-bsdiff-size=2000 --min-fallback-size=0\`), and against per-file patch tools, in"
    echo "the same run. Bytes: what a device downloads (larch: superblock + parts; OSTree default:"
    echo "superblock + parts + its fallback objects, fetched whole; tuned: superblock + parts)."
    if awk -v l="${load_at_start%% *}" -v n="$(nproc)" 'BEGIN { exit !(l + 0 > n + 0) }'; then
        echo "Measured on a loaded machine (load average ${load_at_start%% *} on $(nproc) cores at the"
        echo "start, $(date -u +%Y-%m-%d)): the times are indicative only; the bytes do not depend on load."
    fi
    echo
    bytes_table
    echo
    echo "Time and peak RSS (one run each for generation):"
    echo
    time_table
    echo
    echo "Every way the update reaches a device, time and peak RSS (one run each; the pull's bytes"
    echo "are what nginx sent: the summary, the commit's metadata and the delta):"
    echo
    device_table
    echo
    details
}

if [ "$write_docs" = 1 ]; then
    write_docs_section "Big binaries (issue 16)" docs_section
fi
