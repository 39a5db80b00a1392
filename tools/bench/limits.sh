#!/bin/bash
# limits.sh [--write-docs] [DIR] - this machine's physical limits for the work
# the benchmarks measure, so each figure can be set beside what the hardware
# allows (issue 22): on one core and on all of them,
#
#   sha256    OpenSSL's EVP SHA-256 on 1 MiB buffers (`openssl speed`)
#   zstd -3   compression and decompression of corpus v1 as one tar
#             (`zstd -b3`, the level Larch's archive stores use by default
#             for bulk content is 7; 3 is zstd's default, for reference)
#   zstd -7   the same at level 7
#
# and on DIR's filesystem (default /var/tmp, where the benchmarks work),
# one process, each operation in a fresh directory:
#
#   link      link(2) of one file under new names
#   mkdir     mkdir(2)
#   create    open(O_CREAT)+write(4 KiB)+close, no sync
#   fsync     the same, then fsync(2) of each file
#   syncfs    100 rounds of 100 such files, then one syncfs(2)
#
# Rates are operations (or MB) per second, the median of BENCH_RUNS (3).
# With --write-docs the table replaces the section "Machine limits (issue
# 22)" of docs/benchmarks.md.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=limits  # lib.sh's messages
export BENCH
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$src/tools/bench/lib.sh"

write_docs=0
if [ "${1:-}" = --write-docs ]; then write_docs=1; shift; fi
dir=${1:-/var/tmp}
runs=${BENCH_RUNS:-3}
cores=$(nproc)
corpus=${LARCH_CORPUS:-/var/tmp/larch-corpus}/v1
for tool in openssl zstd cc tar; do
    command -v "$tool" >/dev/null || die "$tool is not installed (tools/setup.sh installs it)"
done
[ -d "$corpus" ] || die "no corpus at $corpus (tools/setup.sh builds it)"
work=$(mktemp -d "$dir/larch-limits.XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT
cc -O2 -o "$work/fs_rates" "$src/tools/bench/fs_rates.c"

# sha256 PROCESSES: MB/s over all of them.
sha256() {
    openssl speed -evp sha256 -bytes 1048576 -seconds 2 -mr -multi "$1" 2>/dev/null |
        awk -F: '$1 == "+F" && $3 == "sha256" { s += $4 } END { printf "%.0f\n", s / 1e6 }'
}

# zstd_speeds LEVEL THREADS: "compress decompress" MB/s on the corpus tar.
zstd_speeds() {
    zstd -b"$1" -i2 -T"$2" "$work/corpus.tar" 2>&1 | tr '\r' '\n' | grep -E 'MB/s, *[0-9.]+ MB/s' | tail -n 1 |
        sed -E 's/.*, *([0-9.]+) MB\/s, *([0-9.]+) MB\/s.*/\1 \2/'
}

# fs_rates: "link mkdir create fsync syncfs" per second on $work's
# filesystem (fs_rates.c: in C, so the figure is the kernel's and the
# disk's, not an interpreter's), in a fresh directory each time.
fs_rates() {
    rm -rf --one-file-system "$work/fs"
    mkdir "$work/fs"
    "$work/fs_rates" "$work/fs"
}

log "corpus v1 as one tar (page cache warm)"
tar -cf "$work/corpus.tar" -C "$corpus" .
tar_bytes=$(stat -c %s "$work/corpus.tar")

declare -A col
for ((r = 1; r <= runs; r++)); do
    log "run $r/$runs"
    col[sha1]+="$(sha256 1) " col[shaN]+="$(sha256 "$cores") "
    read -r c d <<<"$(zstd_speeds 3 1)"; col[z3c1]+="$c " col[z3d]+="$d "
    read -r c _ <<<"$(zstd_speeds 3 "$cores")"; col[z3cN]+="$c "
    read -r c d <<<"$(zstd_speeds 7 1)"; col[z7c1]+="$c " col[z7d]+="$d "
    read -r c _ <<<"$(zstd_speeds 7 "$cores")"; col[z7cN]+="$c "
    read -r l m cr fs sf <<<"$(fs_rates)"
    col[link]+="$l " col[mkdir]+="$m " col[create]+="$cr " col[fsync]+="$fs " col[syncfs]+="$sf "
done
med() { read -r -a v <<<"${col[$1]}"; median "${v[@]}"; }
spread() { read -r -a v <<<"${col[$1]}"; printf '%s\n' "${v[@]}" | sort -g | sed -n '1p;$p' | tr '\n' ' ' | sed 's/ $//; s/ /–/'; }

fsname=$(df -T "$dir" | awk 'NR == 2 { print $2 }')
# table [ARG]: the tables; ARG is named in the command line it prints.
# shellcheck disable=SC2120
table() {
    echo "| work | 1 core | $cores cores | runs (min–max, 1 core) |"
    echo "|---|---:|---:|---:|"
    echo "| SHA-256 (OpenSSL EVP, 1 MiB buffers), MB/s | $(med sha1) | $(med shaN) | $(spread sha1) |"
    echo "| zstd -3 compress (corpus v1 tar, $(mb "$tar_bytes")), MB/s | $(med z3c1) | $(med z3cN) | $(spread z3c1) |"
    echo "| zstd -3 decompress, MB/s | $(med z3d) | | $(spread z3d) |"
    echo "| zstd -7 compress, MB/s | $(med z7c1) | $(med z7cN) | $(spread z7c1) |"
    echo "| zstd -7 decompress, MB/s | $(med z7d) | | $(spread z7d) |"
    echo
    echo "| operation on $dir ($fsname), one process | per second | runs (min–max) |"
    echo "|---|---:|---:|"
    echo "| link(2) | $(med link) | $(spread link) |"
    echo "| mkdir(2) | $(med mkdir) | $(spread mkdir) |"
    echo "| create + write 4 KiB + close | $(med create) | $(spread create) |"
    echo "| the same + fsync(2) | $(med fsync) | $(spread fsync) |"
    echo "| syncfs(2) after 100 new 4 KiB files | $(med syncfs) | $(spread syncfs) |"
    echo
    echo "- Date: $(date -u +%F); $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); kernel $(uname -r); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- $(openssl version), zstd $(zstd -V | sed -n 's/.* v\([0-9.]*\).*/\1/p'); median of $runs run(s)"
    echo "- Command: \`tools/bench/limits.sh${1:+ $1}\`"
    echo
    echo "What the other sections' figures are set against: committing corpus v1 (126 MB) at"
    echo "zstd -7 cannot beat reading, hashing and compressing it on the cores there are;"
    echo "checking out its ~5,200 files as hard links cannot beat as many link(2) calls, and so on."
    echo "The filesystem rates swing with the shared machine's other work (the spread column)."
}
table
if [ "$write_docs" = 1 ]; then
    write_docs_section "Machine limits (issue 22)" table --write-docs
    log "docs/benchmarks.md: section \"Machine limits (issue 22)\" written"
fi
