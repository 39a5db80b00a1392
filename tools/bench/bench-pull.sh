#!/bin/bash
# bench-pull.sh [--write-docs] - `larch pull` against `ostree pull` over HTTP
# on loopback, for the real updates v1 -> v2 and v2 -> v3 of the corpus:
#
#   bytes   what nginx sent for the pull (sum of $bytes_sent in its access
#           log: status lines, headers and bodies of every request)
#   time    wall-clock seconds of the pull command (median of BENCH_RUNS)
#
# One nginx (the Debian package, a private configuration under the run
# directory, 127.0.0.1) serves both publishers: a Larch archive store with
# signed commits and the deltas v1 -> v2 and v2 -> v3 on offer in its
# summary, and an OSTree archive repo of the same trees with
# `ostree static-delta generate` for the same pairs (OSTree pulls with
# --require-static-deltas, so it does use them). Each device is a bare
# store/repo at the older commit, pulled over the same nginx beforehand
# (untimed); every timed run pulls into a fresh copy of it. Both tools run
# with their defaults (both fsync what they write).
#
# --write-docs   also write the results into docs/benchmarks.md, section
#                "Pull over HTTP (issue 5)" (replaced if present)
#
# Env: LARCH (default build/tools/larch), LARCH_CORPUS, BENCH_RUNS (default 3)
# Needs root: bare stores keep file owners. Not run in CI (minutes of
# delta generation).
set -euo pipefail
# The whole script is one block, parsed before it runs: editing the file
# during a (long) run cannot change what the run does.
{
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=bench-pull
# shellcheck source=lib.sh
source "$src/tools/bench/lib.sh"
write_docs=0
for arg in "$@"; do
    case $arg in
        --write-docs) write_docs=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: $0 [--write-docs]" >&2; exit 2 ;;
    esac
done
runs=${BENCH_RUNS:-3}

# lib.sh: log/fail, a scratch directory removed at exit; lib-http.sh: nginx.
export LARCH_SOURCE_DIR=$src
LARCH=${LARCH:-$src/build/tools/larch}
export LARCH
LARCH_TMP=${LARCH_TMP:-/var/tmp}
export LARCH_TMP
# shellcheck source-path=SCRIPTDIR source=../../tests/integration/lib.sh
source "$src/tests/integration/lib.sh"
# shellcheck source-path=SCRIPTDIR/../../tests/integration source=../../tests/integration/lib-http.sh
source "$src/tests/integration/lib-http.sh"

[ "$(id -u)" -eq 0 ] || fail "run as root (bare stores keep file owners)"
command -v ostree >/dev/null || fail "ostree not installed (run tools/setup.sh)"
[ -x "$LARCH" ] || fail "no larch binary at $LARCH (build it first)"
require_http_tools
corpus=$(bash "$src/tools/ensure-corpus.sh") || fail "no corpus (run tools/setup.sh)"

W=$LARCH_TEST_TMP
WWW=$W/www
LSRV=$WWW/larch OSRV=$WWW/ostree
mkdir -p "$WWW" "$W/ring"

quiet() {
    if ! "$@" >"$W/out" 2>&1; then
        cat "$W/out" >&2
        fail "failed: $*"
    fi
}

# ------------------------------------------------------------------ publishers
log "publishers: larch archive store and ostree archive repo, nginx on 127.0.0.1"
quiet "$LARCH" key generate -o "$W/k1"
cp "$W/k1.pub" "$W/ring/"
quiet "$LARCH" init --repo "$LSRV" --mode archive
quiet ostree --repo="$OSRV" init --mode=archive
start_nginx "$WWW"

declare -A LREV OREV
publish_both() {   # publish_both VERSION-NUMBER [PREVIOUS-NUMBER]
    local v=$1 p=${2:-}
    log "publish v$v${p:+ with deltas v$p -> v$v} (untimed)"
    LREV[$v]=$("$LARCH" commit --repo "$LSRV" --branch os/stable --tree "$corpus/v$v" \
        --version "$v.0" --metadata compatible=bench)
    quiet "$LARCH" sign --repo "$LSRV" "${LREV[$v]}" -k "$W/k1.key"
    OREV[$v]=$(ostree --repo="$OSRV" commit --branch=os/stable --tree=dir="$corpus/v$v" -s "v$v")
    if [ -n "$p" ]; then
        quiet "$LARCH" delta generate --repo "$LSRV" --from "${LREV[$p]}" --to "${LREV[$v]}" --sign-key "$W/k1.key"
        quiet ostree --repo="$OSRV" static-delta generate --from="${OREV[$p]}" --to="${OREV[$v]}"
    fi
    quiet "$LARCH" summary --repo "$LSRV" --update -k "$W/k1.key"
    quiet ostree --repo="$OSRV" summary -u
}

# Devices: bare, at the older commit, pulled over nginx (untimed).
init_devices() {
    quiet "$LARCH" init --repo "$W/larch-dev" --mode bare
    quiet "$LARCH" remote add --repo "$W/larch-dev" origin "$NGINX_URL/larch" --keyring "$W/ring" --compatible bench
    quiet ostree --repo="$W/ostree-dev" init --mode=bare
    quiet ostree --repo="$W/ostree-dev" remote add --no-gpg-verify origin "$NGINX_URL/ostree" os/stable
}
# shellcheck disable=SC2317  # both are called as "pull_$tool"
pull_larch() { "$LARCH" pull --repo "$1" origin os/stable; }
# shellcheck disable=SC2317
pull_ostree() { ostree --repo="$1" pull --require-static-deltas origin os/stable; }

declare -A BYTES SECS REQS ALL_SECS VIA SPLIT
# measure TOOL FROM TO: BENCH_RUNS pulls of vTO into fresh copies of the
# device at vFROM; the last copy becomes the device at vTO.
measure() {
    local tool=$1 from=$2 to=$3 i d mark s e t times=() bytes=() reqs=()
    # Every file nginx will serve read once, untimed: warm cache for both.
    find "$WWW" -type f -exec cat {} + >/dev/null
    for i in $(seq "$runs"); do
        d=$W/$tool-dev-v$to-$i
        clone_store "$W/$tool-dev" "$d"   # objects hard-linked (untimed)
        sync
        nginx_settle
        mark=$(nginx_mark)
        s=$(now)
        quiet "pull_$tool" "$d"
        e=$(now)
        nginx_settle
        t=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')
        times+=("$t")
        bytes+=("$(nginx_bytes_sent "$mark")")
        reqs+=("$(nginx_requests "$mark")")
        log "$tool v$from -> v$to run $i: ${t}s, ${bytes[-1]} bytes, ${reqs[-1]} requests"
        [ "$i" -eq "$runs" ] || rm -rf "$d"
    done
    # Bytes do not vary between runs (same requests); keep the median anyway.
    BYTES[$tool,$to]=$(median "${bytes[@]}")
    SECS[$tool,$to]=$(median "${times[@]}")
    REQS[$tool,$to]=$(median "${reqs[@]}")
    ALL_SECS[$tool,$to]="${times[*]}"
    # The pulled result must be right, or the figure means nothing.
    if [ "$tool" = larch ]; then
        [ "$(pulled_ref "$d" origin:os/stable)" = "${LREV[$to]}" ] || fail "larch did not pull v$to"
        quiet "$LARCH" fsck --repo "$d"
    else
        [ "$(ostree --repo="$d" rev-parse origin:os/stable)" = "${OREV[$to]}" ] || fail "ostree did not pull v$to"
    fi
    local last
    last=$(tail -n "+$((mark + 1))" "$NGINX_LOG")
    SPLIT[$tool,$to]="$(grep -c "/$tool/deltas/" <<<"$last" || true) under deltas/, $(grep -c "/$tool/objects/" <<<"$last" || true) under objects/"
    if grep -q "\"GET /$tool/deltas/" <<<"$last"; then
        VIA[$tool,$to]="delta"
    else
        VIA[$tool,$to]="objects"
        [ "$tool" = larch ] || fail "$tool did not fetch a delta"
        log "note: larch fetched objects, not the delta on offer (no delta-based pull in this build)"
    fi
    rm -rf "${W:?}/$tool-dev"
    mv "$d" "$W/$tool-dev"
}

publish_both 1
init_devices
log "devices at v1 (untimed)"
quiet pull_larch "$W/larch-dev"
quiet ostree --repo="$W/ostree-dev" pull origin os/stable
publish_both 2 1
measure ostree 1 2
measure larch 1 2
publish_both 3 2
measure ostree 2 3
measure larch 2 3
stop_nginx

# ------------------------------------------------------------------ report
ratio2() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
machine="$(nproc) cores, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r), $(df -T "$W" | awk 'NR == 2 { print $2 }') on $(dirname "$W")"
ostree_version=$(ostree --version | awk -F"'" '/Version/ { print $2; exit }')
larch_version=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)
table() {
    echo "| update | metric | ostree $ostree_version | larch ($larch_version) | larch/ostree | target | |"
    echo "|---|---|---:|---:|---:|---:|---|"
    local f t r
    for t in 2 3; do
        f=$((t - 1))
        r=$(ratio2 "${BYTES[larch,$t]}" "${BYTES[ostree,$t]}")
        echo "| v$f → v$t | bytes on the wire (nginx \$bytes_sent) | $(mb "${BYTES[ostree,$t]}" 2) | $(mb "${BYTES[larch,$t]}" 2) | $r | ≤ 0.6 | $(verdict "$r" 0.6) |"
        r=$(ratio2 "${SECS[larch,$t]}" "${SECS[ostree,$t]}")
        echo "| v$f → v$t | pull wall time (s, median of $runs) | ${SECS[ostree,$t]} | ${SECS[larch,$t]} | $r | ≤ 0.7 | $(verdict "$r" 0.7) |"
        echo "| v$f → v$t | HTTP requests | ${REQS[ostree,$t]} | ${REQS[larch,$t]} | | | |"
    done
}

details() {
    echo "- Date: $(date -u +%Y-%m-%d)"
    echo "- Machine: $machine; nginx $(nginx -v 2>&1 | sed 's,.*/,,') on 127.0.0.1 (HTTP/1.1, no TLS)"
    echo "- Devices: bare store (larch) / bare repo (ostree) at the older commit; each run pulls into a fresh copy"
    local t
    for t in 2 3; do
        echo "- v$((t - 1)) → v$t runs: ostree ${ALL_SECS[ostree,$t]} s (via its ${VIA[ostree,$t]}; requests: ${SPLIT[ostree,$t]}); larch ${ALL_SECS[larch,$t]} s (via its ${VIA[larch,$t]}; requests: ${SPLIT[larch,$t]})"
    done
    echo "- Command: \`tools/bench/bench-pull.sh --write-docs\` (method: tools/bench/README.md)"
}

echo
table
echo
details

# The docs/benchmarks.md section (--write-docs), below its heading.
docs_section() {
    echo "The real updates of the corpus pulled from one nginx on loopback, Larch (its delta on offer in"
    echo "the summary) against OSTree (\`ostree pull --require-static-deltas\`, static deltas for the same"
    echo "pairs), measured in the same run on the same machine. Targets: bytes on the wire ≤ 0.6×"
    echo "OSTree's, wall time ≤ 0.7×."
    echo
    table
    echo
    details
}

if [ "$write_docs" = 1 ]; then
    write_docs_section "Pull over HTTP (issue 5)" docs_section
fi
exit
}
