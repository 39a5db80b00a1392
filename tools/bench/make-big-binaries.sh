#!/bin/bash
# make-big-binaries.sh OUTDIR [PAIR...] - build the big-binaries corpus: for
# each pair, two versions of large Debian 12 packages, unpacked as trees, for
# tools/bench/bench-big-binaries.sh.
#
#   OUTDIR/<pair>/old           dpkg-deb -x of the lowest version apt knows
#   OUTDIR/<pair>/new           dpkg-deb -x of the highest version apt knows
#   OUTDIR/<pair>/versions.txt  package versions, pockets, .deb and tree sizes;
#                               written last, by an atomic rename: its
#                               presence marks a complete pair
#
# Pairs (default: all):
#   libnode108       libnode108 (the Node.js runtime)
#   openjdk-17       openjdk-17-jre-headless
#   qemu-system-x86  qemu-system-x86
#   webkit2gtk-4.1   libwebkit2gtk-4.1-0 + libjavascriptcoregtk-4.1-0 (one tree)
#   thunderbird      thunderbird
#   qemu-system-x86-arm64  qemu-system-x86:arm64 (AArch64 code: the ELF
#                    engine on ARM64 binaries; needs dpkg's arm64
#                    architecture, tools/setup.sh adds it)
#   libnode108-arm64 libnode108:arm64
#
# A package named PKG:ARCH is fetched for ARCH, any other for this
# machine's architecture.
#
# The two versions are the lowest and the highest `apt-cache madison` lists
# for this machine's architecture (on Debian 12: one from the release pocket,
# one from the security pocket), fetched with `apt-get download PKG=VERSION`
# into a temporary directory: the archive is whatever apt already uses.
# A package apt knows in one version only is reported and its pair skipped;
# the other pairs are built. Idempotent: a complete pair is kept, an
# incomplete one (a killed run) is removed and built again.
#
# Needs root (dpkg-deb -x keeps owners), about 1.4 GB of disk for all pairs
# and ~310 MB of downloads (11 minutes here); runs `apt-get update` once if
# anything is to be built.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=make-big-binaries
# shellcheck source=lib.sh
source "$src/tools/bench/lib.sh"

# pair name, then its packages.
all_pairs=(
    "libnode108 libnode108"
    "openjdk-17 openjdk-17-jre-headless"
    "qemu-system-x86 qemu-system-x86"
    "webkit2gtk-4.1 libwebkit2gtk-4.1-0 libjavascriptcoregtk-4.1-0"
    "thunderbird thunderbird"
    "qemu-system-x86-arm64 qemu-system-x86:arm64"
    "libnode108-arm64 libnode108:arm64"
)

[ $# -ge 1 ] || die "usage: make-big-binaries.sh OUTDIR [PAIR...]"
[ "$(id -u)" -eq 0 ] || die "run as root (dpkg-deb -x keeps file owners)"
outdir=$1
shift
wanted=("$@")

packages_of() {   # packages_of PAIR: the pair's packages, or nothing
    local line words
    for line in "${all_pairs[@]}"; do
        read -r -a words <<< "$line"
        if [ "${words[0]}" = "$1" ]; then echo "${words[*]:1}"; return; fi
    done
}
if [ ${#wanted[@]} -eq 0 ]; then
    for line in "${all_pairs[@]}"; do wanted+=("${line%% *}"); done
fi
for pair in "${wanted[@]}"; do
    [ -n "$(packages_of "$pair")" ] ||
        die "unknown pair '$pair' (known: $(printf '%s ' "${all_pairs[@]%% *}"))"
done

mkdir -p "$outdir"
out=$(cd "$outdir" && pwd)
arch=$(dpkg --print-architecture)
# versions PKG: "VERSION SUITE/COMPONENT" lines apt knows for PKG on this
# architecture, lowest version first (madison: "pkg | ver | URI suite/comp
# arch Packages").
versions() {
    local lines=() i j t want=$arch
    case "$1" in *:*) want=${1##*:} ;; esac
    mapfile -t lines < <(apt-cache madison "$1" |
        awk -F' [|] ' -v arch="$want" '
            { split($3, f, " ") }
            f[4] == "Packages" && (f[3] == arch || f[3] == "all") && !seen[$2]++ {
                print $2, f[2] }')
    # Debian's version order (epochs, ~), by dpkg; a handful of lines.
    for ((i = 0; i < ${#lines[@]}; i++)); do
        for ((j = i + 1; j < ${#lines[@]}; j++)); do
            if dpkg --compare-versions "${lines[j]%% *}" lt "${lines[i]%% *}"; then
                t=${lines[i]}; lines[i]=${lines[j]}; lines[j]=$t
            fi
        done
    done
    [ ${#lines[@]} -eq 0 ] || printf '%s\n' "${lines[@]}"
}

tree_size() {
    printf 'bytes(du -sb)=%s files=%s' "$(du -sb "$1" | cut -f1)" "$(find "$1" -type f | wc -l)"
}

tmp=$(mktemp -d /var/tmp/larch-big-binaries.XXXXXX)
trap 'rm -rf --one-file-system "$tmp"' EXIT

updated=0
declare -A low high
built=() kept=() skipped=()
for pair in "${wanted[@]}"; do
    dir=$out/$pair
    if [ -f "$dir/versions.txt" ]; then
        log "$pair: complete, kept ($dir)"
        kept+=("$pair")
        continue
    fi
    if [ "$updated" = 0 ]; then
        log "apt-get update"
        apt-get -q update > "$tmp/update.log" 2>&1 ||
            { cat "$tmp/update.log" >&2; die "apt-get update failed"; }
        updated=1
    fi
    read -r -a pkgs <<< "$(packages_of "$pair")"
    # Pick the versions first: a package known in one version only skips the
    # pair before anything is downloaded.
    low=() high=()
    single=""
    for p in "${pkgs[@]}"; do
        versions "$p" > "$tmp/$p.versions"
        n=$(wc -l < "$tmp/$p.versions")
        if [ "$n" -lt 2 ]; then
            single="$p ($n version$([ "$n" = 1 ] && echo ": $(cut -d' ' -f1 "$tmp/$p.versions")" || echo s))"
            break
        fi
        low[$p]=$(head -n 1 "$tmp/$p.versions")
        high[$p]=$(tail -n 1 "$tmp/$p.versions")
    done
    if [ -n "$single" ]; then
        log "$pair: SKIPPED: apt knows only one version of $single; nothing to compare"
        skipped+=("$pair")
        continue
    fi
    rm -rf --one-file-system "$dir"
    mkdir -p "$dir"
    : > "$tmp/versions.txt"
    for side in old new; do
        rm -rf "$tmp/debs"
        mkdir "$tmp/debs"
        for p in "${pkgs[@]}"; do
            if [ "$side" = old ]; then entry=${low[$p]}; else entry=${high[$p]}; fi
            v=${entry%% *}
            log "$pair: $side: apt-get download $p=$v"
            (cd "$tmp/debs" && apt-get -q download "$p=$v" > "$tmp/download.log" 2>&1) ||
                { cat "$tmp/download.log" >&2; die "apt-get download $p=$v failed"; }
            deb=$(find "$tmp/debs" -name "${p%%:*}_*.deb" | head -n 1)
            [ -n "$deb" ] || die "apt-get download $p=$v left no .deb"
            dpkg-deb -x "$deb" "$dir/$side"
            printf '%s %s %s %s deb-bytes=%s\n' "$side" "$p" "$v" "${entry#* }" "$(stat -c %s "$deb")" >> "$tmp/versions.txt"
        done
    done
    for side in old new; do
        printf '%s tree %s\n' "$side" "$(tree_size "$dir/$side")" >> "$tmp/versions.txt"
    done
    cp "$tmp/versions.txt" "$dir/versions.txt.tmp"
    sync
    mv "$dir/versions.txt.tmp" "$dir/versions.txt"
    log "$pair: done"
    sed 's/^/    /' "$dir/versions.txt" >&2
    built+=("$pair")
done

log "built: ${built[*]:-none}; kept: ${kept[*]:-none}; skipped (one version only): ${skipped[*]:-none}"
