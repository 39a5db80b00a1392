#!/bin/bash
# Progress output of long verbs (issue 15 item 6), through the real binary:
#
#   terminal  under a pseudo-terminal (script(1)), `pull` from a real nginx
#             on 127.0.0.1 (slowed by nginx's limit_rate: a few seconds),
#             `delta generate`, `commit` and `checkout` redraw a line in
#             place (\r, erase line) that counts bytes ("1.23 MB / 4.56
#             MB") with a rate ("/s");
#   logs      with stderr to a file: no \r and no escape character, and a
#             long pull writes plain lines with bytes and a rate;
#   quiet     -q: nothing on stderr for a successful run;
#   json      --json: every line is one JSON object; progress events carry
#             phase, bytes_done, bytes_total, rate and eta.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib-http.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-http.sh"

require_larch
require_http_tools
command -v script >/dev/null 2>&1 || skip "script (util-linux) is not installed"

W=$(tmpdir work)
SRV=$W/server RING=$W/keyring
mkdir -p "$RING"

# A small tree: a few MB of random files (they do not compress, so the
# wire carries about as many bytes as the files hold) and some text.
make_tree() {   # make_tree DIR SEED-WORD
    local d=$1 i
    mkdir -p "$d/usr/lib/firmware" "$d/etc"
    for i in 1 2 3 4; do head -c $((900000 + i * 10000)) /dev/urandom > "$d/usr/lib/firmware/blob$i.bin"; done
    for i in $(seq 20); do echo "$2 config $i" > "$d/etc/app$i.conf"; done
}
# v2: two blobs changed in a few places, so the delta diffs 2 MB (a few
# seconds of bsdiff).
change_tree() {   # change_tree DIR
    local f
    for f in "$1"/usr/lib/firmware/blob[12].bin; do
        printf 'changed' | dd of="$f" bs=1 seek=4096 conv=notrunc status=none
        printf 'changed' | dd of="$f" bs=1 seek=500000 conv=notrunc status=none
    done
    echo "two" > "$1/etc/os-release"
}

# on_tty OUT CMD...: run CMD under a pseudo-terminal; its terminal output
# (stdout and stderr together) in OUT.
on_tty() {
    local out=$1; shift
    log "+ (tty) $*"
    COLUMNS=100 script -qefc "$(printf '%q ' "$@")" /dev/null >"$out" </dev/null
}

# err_to FILE CMD...: run CMD with its stderr in FILE (the larch wrapper
# of lib.sh logs on stderr, so it is not used here).
err_to() {
    local err=$1; shift
    log "+ $* 2>$(basename "$err")"
    "$@" 2>"$err"
}

# expect_redrawn_bytes FILE WHAT: a line redrawn in place with bytes and a rate.
# expect_redrawn_bytes FILE WHAT [--rate-after-1s]: a line redrawn in place
# with bytes and a rate. The reporter shows a rate only once a phase has run
# for a second (before that it would be noise); with --rate-after-1s a job
# that may finish sooner (a local commit or checkout of a small tree on a
# quiet machine) passes with bytes of a known total alone.
expect_redrawn_bytes() {
    grep -q $'\r' "$1" || { cat -v "$1" >&2; fail "$2: no line redrawn in place (\\r)"; }
    grep -q $'\e\\[K' "$1" || { cat -v "$1" >&2; fail "$2: the line is not erased before a redraw"; }
    local want='[0-9.]+ [kMG]?B( / [0-9.]+ [kMG]?B)? +[0-9.]+ [kMG]?B/s'
    [ "${3:-}" != --rate-after-1s ] || want='[0-9.]+ [kMG]?B / [0-9.]+ [kMG]?B'
    tr '\r' '\n' <"$1" | grep -qE "$want" ||
        { cat -v "$1" >&2; fail "$2: no progress with bytes and a rate"; }
}

# expect_plain FILE WHAT: no carriage return, no escape sequence.
expect_plain() {
    if grep -q $'\r' "$1" || grep -q $'\e' "$1"; then
        cat -v "$1" >&2
        fail "$2: control characters in output that is not a terminal"
    fi
}

# expect_json_lines FILE WHAT: each line one JSON object; at least one
# progress event with the documented fields.
expect_json_lines() {
    python3 - "$1" <<'EOF2' || { cat "$1" >&2; fail "$2: not JSON lines with progress events"; }
import json, sys
events = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
assert events and all(isinstance(e, dict) for e in events), "not one object per line"
progress = [e for e in events if e.get("event") == "progress"]
assert progress, "no progress event"
for e in progress:
    for key in ("phase", "bytes_done", "bytes_total", "rate", "eta", "elapsed", "last"):
        assert key in e, f"progress event without {key}: {e}"
    assert isinstance(e["bytes_done"], int)
    assert e["bytes_total"] is None or e["bytes_done"] <= e["bytes_total"]
assert any(e["last"] for e in progress), "no phase ends"
EOF2
}

log "publisher: v1 and v2 of a small tree, signed"
larch key generate -o "$W/k1" >/dev/null
cp "$W/k1.pub" "$RING/"
make_tree "$W/tree" one
V1=$(publish "$SRV" "$W/tree" 1.0 "$W/k1.key")
change_tree "$W/tree"
V2=$(publish "$SRV" "$W/tree" 2.0 "$W/k1.key")

delta_section() {
    on_tty "$W/delta.tty" "$LARCH" delta generate --repo "$SRV" --from "$V1" --to "$V2"
    expect_redrawn_bytes "$W/delta.tty" "delta generate on a terminal" --rate-after-1s
    grep -q 'delta ' "$W/delta.tty" || fail "delta generate: no delta phase shown"

    err_to "$W/delta.err" "$LARCH" delta generate --repo "$SRV" --from "$V1" --to "$V2" >/dev/null
    expect_plain "$W/delta.err" "delta generate, stderr to a file"

    err_to "$W/delta-q.err" "$LARCH" delta generate --repo "$SRV" --from "$V1" --to "$V2" -q >/dev/null
    [ ! -s "$W/delta-q.err" ] || { cat "$W/delta-q.err" >&2; fail "delta generate -q wrote to stderr"; }

    err_to "$W/delta.json" "$LARCH" delta generate --repo "$SRV" --from "$V1" --to "$V2" --json >/dev/null
    expect_json_lines "$W/delta.json" "delta generate --json"
    grep -q '"phase":"delta"' "$W/delta.json" || fail "delta generate --json: no delta phase"
}

commit_section() {
    local store=$W/commit-store
    larch init --repo "$store" --mode archive >/dev/null
    on_tty "$W/commit.tty" "$LARCH" commit --repo "$store" -b tty --tree "$W/tree"
    expect_redrawn_bytes "$W/commit.tty" "commit on a terminal" --rate-after-1s

    err_to "$W/commit-q.err" "$LARCH" commit --repo "$store" -b quiet --tree "$W/tree" -q >/dev/null
    [ ! -s "$W/commit-q.err" ] || { cat "$W/commit-q.err" >&2; fail "commit -q wrote to stderr"; }

    err_to "$W/commit.json" "$LARCH" commit --repo "$store" -b json --tree "$W/tree" --json >"$W/commit.out"
    expect_json_lines "$W/commit.json" "commit --json"
    grep -qE '^[0-9a-f]{64}$' "$W/commit.out" || fail "commit --json: stdout is not the commit id"

    on_tty "$W/checkout.tty" "$LARCH" checkout --repo "$store" tty "$W/checked-out"
    expect_redrawn_bytes "$W/checkout.tty" "checkout on a terminal" --rate-after-1s
}

pull_section() {
    update_summary "$SRV" "$W/k1.key"
    # A slow link on the server's side: ~1 MB files at 300 kB/s each, a
    # few seconds, many redraws while files are half there.
    start_nginx "$SRV" --limit-rate 300000
    # The section is a subshell: the script's exit hook never sees this
    # nginx, and a left-over nginx holds ctest's output pipe open.
    trap stop_nginx EXIT
    local dev
    dev=$W/dev-tty
    bare_device "$dev" "$NGINX_URL" "$RING"
    on_tty "$W/pull.tty" "$LARCH" pull --repo "$dev" origin os/stable
    expect_redrawn_bytes "$W/pull.tty" "pull on a terminal"
    tr '\r' '\n' <"$W/pull.tty" | grep -qE '^download +[0-9]+% .* [0-9.]+ [kM]?B / [0-9.]+ MB' ||
        { cat -v "$W/pull.tty" >&2; fail "pull: the download is not counted in bytes of a known total"; }

    dev=$W/dev-log
    bare_device "$dev" "$NGINX_URL" "$RING"
    err_to "$W/pull.err" "$LARCH" pull --repo "$dev" origin os/stable >/dev/null
    expect_plain "$W/pull.err" "pull, stderr to a file"
    grep -qE '^download: [0-9]+% \([0-9.]+ [kM]?B of [0-9.]+ MB, [0-9.]+ [kM]?B/s' "$W/pull.err" ||
        { cat "$W/pull.err" >&2; fail "pull, stderr to a file: no plain progress line with bytes and a rate"; }

    dev=$W/dev-quiet
    bare_device "$dev" "$NGINX_URL" "$RING"
    err_to "$W/pull-q.err" "$LARCH" pull --repo "$dev" origin os/stable -q >/dev/null
    [ ! -s "$W/pull-q.err" ] || { cat "$W/pull-q.err" >&2; fail "pull -q wrote to stderr"; }

    dev=$W/dev-json
    bare_device "$dev" "$NGINX_URL" "$RING"
    err_to "$W/pull-json.err" "$LARCH" pull --repo "$dev" origin os/stable --json >"$W/pull.json"
    expect_json_lines "$W/pull.json" "pull --json"
    python3 - "$W/pull.json" <<'EOF2' || { cat "$W/pull.json" >&2; fail "pull --json: the download's bytes"; }
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
assert events[-1]["event"] == "done", "the last event is not done"
download = [e for e in events if e.get("phase") == "download"]
assert download and download[-1]["last"], "no download phase that ends"
assert download[-1]["bytes_done"] == download[-1]["bytes_total"] > 3_000_000, download[-1]
EOF2
}

section "delta generate: terminal, file, -q, --json" delta_section
section "commit and checkout: terminal, -q, --json" commit_section
section "pull from nginx: terminal, file, -q, --json" pull_section
sections_done
