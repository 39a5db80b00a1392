# shellcheck shell=bash
# lib.sh - what the benchmark scripts share. Source it right after `src=`;
# set BENCH (the script's name, for messages) first. quiet and timed write
# a command's output to $work/out, so they need `work` (the scratch dir).

die() { echo "$BENCH: $*" >&2; exit 1; }
log() { echo "$BENCH: $*" >&2; }
now() { date +%s.%N; }

# quiet CMD...: run CMD with its output kept aside; on failure print it and
# return 1.
quiet() {
    if ! "$@" >"$work/out" 2>&1; then
        echo "$BENCH: failed: $*" >&2
        cat "$work/out" >&2
        return 1
    fi
}

# timed CMD...: run CMD quietly after a sync; print its wall time in seconds.
timed() {
    sync
    local s e
    s=$(now)
    quiet "$@" || return 1
    e=$(now)
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'
}

# measured CMD...: run CMD quietly after a sync; print "SECONDS KB" (wall
# time and peak resident set, /usr/bin/time's %e and %M: "Maximum resident
# set size" in its -v report).
measured() {
    sync
    quiet /usr/bin/time -f '%e %M' -o "$work/time" "$@" || return 1
    tail -n 1 "$work/time"
}

# file_bytes DIR: the sum of the sizes of the regular files under DIR (what
# serving DIR sends; unlike du -sb, directories themselves do not count).
file_bytes() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

# kb BYTES, mb BYTES [DECIMALS] (default 1), mib KIB: sizes for tables.
kb() { awk -v b="$1" 'BEGIN { printf "%.0f kB", b / 1e3 }'; }
mb() { awk -v b="$1" -v d="${2:-1}" 'BEGIN { printf "%.*f MB", d, b / 1e6 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r + 0 <= t + 0) ? "met" : "NOT met" }'; }

# write_docs_section TITLE CMD...: CMD's output, under the heading "## TITLE",
# becomes that section of docs/benchmarks.md (docs_section.py replaces it,
# or appends it when the document has none yet): what --write-docs does.
write_docs_section() {
    local title=$1 section
    shift
    section=$(mktemp "${TMPDIR:-/tmp}/bench-section.XXXXXX")
    { echo "## $title"; echo; "$@"; } > "$section"
    python3 "$src/tools/bench/docs_section.py" "$src/docs/benchmarks.md" "$title" "$section"
    rm -f "$section"
    log "wrote docs/benchmarks.md, section \"$title\""
}
