# shellcheck shell=bash
# lib-http.sh - a real nginx, a test CA and the fault-injecting proxy, for
# tests that pull over HTTP. Source it after lib.sh:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-http.sh"
#
# Everything runs as the test's own processes on 127.0.0.1, with its
# configuration, logs and pid files under the test's scratch space; nothing
# in /etc/nginx or /var/log is read or written. Whatever is still running
# when the script exits (pass, fail or skip) is stopped by an exit hook
# (larch_on_exit in lib.sh); SIGTERM/SIGINT/SIGHUP (a ctest timeout, ^C)
# end the script through that hook too.
#
# Servers and the proxy:
#   start_nginx ROOT [--tls CA_DIR] [--client-cert-required] [--sndbuf BYTES]
#               [--limit-rate BYTES_PER_S]
#       serve ROOT on a free port (--limit-rate: nginx's limit_rate, per
#       connection, a slow link on the server's side); sets and exports
#       NGINX_URL, NGINX_PORT, NGINX_DIR, NGINX_PID, NGINX_LOG (access log)
#   stop_nginx                 stop the last nginx started
#   nginx_mark                 the access log's line count, for the next two
#   nginx_bytes_sent [MARK]    sum of $bytes_sent (status line, headers, body)
#   nginx_requests [MARK]      of the requests logged after MARK
#   nginx_settle               wait until nginx has logged what it is doing
#   make_test_ca DIR           test CA, server cert for IP:127.0.0.1, client
#                              cert, and a client cert from another CA
#   start_proxy [ARGS...]      fault_proxy.py (ARGS: --fault RULE, --rate...)
#                              in front of nginx; sets PROXY_URL, PROXY_PID,
#                              PROXY_DIR, PROXY_LOG
#   stop_proxy, proxy_bytes, proxy_actions ACTION
#   wire_report ROOT [MARK], proxy_wire_report ROOT
#                              bytes by kind of file, and sent more than once
# Stores:
#   publish STORE TREE VERSION KEY, update_summary STORE KEY
#   bare_device DEV URL RING [REMOTE-ADD-OPTIONS...], device_from_file DEV STORE RING REV
#   clone_store SRC DST        a quick copy to pull into (objects hard-linked)
#   store_state / store_listing DIR [NAME...]   tree_state without tmp/
#   trust_rows DIR             state.db rows a failed pull must not change
#   device_snapshot DIR FILE, assert_device_unchanged DIR FILE WHAT
#   pulled_ref DIR NAME        the commit the local ref NAME points at
# Pulls and checks:
#   run_pull DIR ARGS...       sets PULL_RC, PULL_OUT, PULL_ERR, PULL_SECONDS
#   expect_pull_ok WHAT, expect_pull_failed WHAT CODES REGEX
#   pull_json_field KEY        from the last JSON object of PULL_OUT
#   section NAME FUNCTION [ARGS...], sections_done
#   ratio A B, le A B FACTOR

# shellcheck source-path=SCRIPTDIR source=damage.sh
source "$(dirname "${BASH_SOURCE[0]}")/damage.sh"

FAULT_PROXY="$LARCH_SOURCE_DIR/tests/integration/fault_proxy.py"

require_http_tools() {
    local t
    for t in nginx openssl python3 sqlite3; do
        command -v "$t" >/dev/null 2>&1 || fail "$t is not installed (tools/setup.sh installs it)"
    done
}

_LARCH_HTTP_PIDS=()   # every nginx and proxy started, for the exit hook
_larch_http_stop_all() {
    local pid i
    for ((i = ${#_LARCH_HTTP_PIDS[@]} - 1; i >= 0; i--)); do
        pid=${_LARCH_HTTP_PIDS[i]}
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
    _LARCH_HTTP_PIDS=()
}
larch_on_exit _larch_http_stop_all
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

_forget_pid() {
    local keep=() p
    for p in "${_LARCH_HTTP_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    _LARCH_HTTP_PIDS=("${keep[@]}")
}

# _stop_pid PID: SIGTERM (or $2), wait up to 5 s, then SIGKILL; reaps it.
_stop_pid() {
    local pid=$1 sig=${2:-TERM}
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    _forget_pid "$pid"
}

# free_port: a TCP port on 127.0.0.1 that nobody listens on right now. Another
# process may take it before we bind it; start_nginx retries when that happens.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# _port_open PORT: does something accept connections there?
_port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_nginx() {
    local root=$1; shift
    local tls="" verify=0 sndbuf="" limit_rate=""
    while [ $# -gt 0 ]; do
        case $1 in
            --tls) tls=$2; shift 2 ;;
            --client-cert-required) verify=1; shift ;;
            --sndbuf) sndbuf=$2; shift 2 ;;
            --limit-rate) limit_rate=$2; shift 2 ;;
            *) fail "start_nginx: unknown option $1" ;;
        esac
    done
    [ -d "$root" ] || fail "start_nginx: no directory $root"
    [ "$verify" = 0 ] || [ -n "$tls" ] || fail "start_nginx: --client-cert-required needs --tls"
    local d
    d=$(mktemp -d "$LARCH_TEST_TMP/nginx.XXXXXX")
    mkdir -p "$d/tmp"
    local port listen scheme
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        listen="127.0.0.1:$port"
        scheme=http
        if [ -n "$tls" ]; then
            listen="$listen ssl http2"
            scheme=https
        fi
        [ -z "$sndbuf" ] || listen="$listen sndbuf=$sndbuf"
        {
            # One process, in the foreground, as the test's own user: it
            # reads the test's private (0700) scratch directories, and one
            # SIGKILL is enough to stop it (no orphaned workers).
            echo "daemon off;"
            echo "master_process off;"
            echo "pid $d/nginx.pid;"
            echo "error_log $d/error.log info;"
            echo "events { worker_connections 512; }"
            echo "http {"
            echo "    default_type application/octet-stream;"
            echo "    log_format larch '\$status \$body_bytes_sent \$bytes_sent \$request_time c\$connection r\$connection_requests \"\$request\" \"\$http_range\"';"
            echo "    access_log $d/access.log larch;"
            echo "    client_body_temp_path $d/tmp/body;"
            echo "    proxy_temp_path $d/tmp/proxy;"
            echo "    fastcgi_temp_path $d/tmp/fastcgi;"
            echo "    uwsgi_temp_path $d/tmp/uwsgi;"
            echo "    scgi_temp_path $d/tmp/scgi;"
            echo "    sendfile on;"
            echo "    server_tokens off;"
            echo "    keepalive_requests 100000;"
            [ -z "$limit_rate" ] || echo "    limit_rate $limit_rate;"
            echo "    server {"
            echo "        listen $listen;"
            echo "        server_name localhost;"
            echo "        root $root;"
            echo "        location / { try_files \$uri =404; }"
            if [ -n "$tls" ]; then
                echo "        ssl_certificate $tls/server.crt;"
                echo "        ssl_certificate_key $tls/server.key;"
                echo "        ssl_protocols TLSv1.2 TLSv1.3;"
                if [ "$verify" = 1 ]; then
                    echo "        ssl_client_certificate $tls/ca.crt;"
                    echo "        ssl_verify_client on;"
                    echo "        ssl_verify_depth 2;"
                fi
            fi
            echo "    }"
            echo "}"
        } > "$d/nginx.conf"
        : > "$d/error.log"
        nginx -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" 2>"$d/stderr.log" &
        NGINX_PID=$!
        _LARCH_HTTP_PIDS+=("$NGINX_PID")
        local up=0
        for _ in $(seq 100); do
            if ! kill -0 "$NGINX_PID" 2>/dev/null; then break; fi
            if _port_open "$port"; then up=1; break; fi
            sleep 0.05
        done
        if [ "$up" = 1 ]; then
            break
        fi
        _stop_pid "$NGINX_PID"
        if grep -qs "Address already in use" "$d/error.log" "$d/stderr.log"; then
            log "nginx: port $port was taken, trying another"
            continue
        fi
        cat "$d/error.log" "$d/stderr.log" >&2
        fail "nginx did not start (config $d/nginx.conf)"
    done
    [ "$up" = 1 ] || fail "nginx: no free port after 5 attempts"
    NGINX_PORT=$port
    NGINX_URL="$scheme://127.0.0.1:$port"
    NGINX_DIR=$d
    NGINX_LOG=$d/access.log
    export NGINX_URL NGINX_PORT NGINX_DIR NGINX_PID NGINX_LOG
    log "nginx $NGINX_URL serving $root (pid $NGINX_PID${tls:+, TLS}${sndbuf:+, sndbuf $sndbuf}${limit_rate:+, limit_rate $limit_rate B/s per connection}$([ "$verify" = 1 ] && echo ", client certificate required"))"
}

stop_nginx() {
    [ -n "${NGINX_PID:-}" ] || return 0
    _stop_pid "$NGINX_PID"
    log "nginx (pid $NGINX_PID) stopped"
    NGINX_PID=""
}

nginx_mark() {
    if [ -f "$NGINX_LOG" ]; then wc -l < "$NGINX_LOG"; else echo 0; fi
}

# nginx_settle: nginx writes a request's log line when the request ends,
# before it closes the connection; a request whose client was killed ends
# when nginx notices. So wait until nginx holds no connection it has not
# closed: no socket on its port that is being accepted (SYN_RECV), open
# (ESTABLISHED) or closed by the client only (CLOSE_WAIT), as the kernel
# lists them in /proc/net/tcp (at most 10 s, then a warning). Call it once
# the clients are done or killed: a live keep-alive client holds it off.
nginx_settle() {
    local port
    port=$(printf ':%04X' "$NGINX_PORT")
    for _ in $(seq 200); do
        awk -v port="$port" 'NR > 1 && substr($2, length($2) - 4) == port && ($4 == "01" || $4 == "03" || $4 == "08") { open = 1 }
            END { exit !open }' /proc/net/tcp || return 0
        sleep 0.05
    done
    log "nginx_settle: nginx on :$NGINX_PORT still has open connections after 10 s"
}

nginx_bytes_sent() {
    local since=${1:-0}
    awk -v since="$since" 'NR > since { s += $3 } END { printf "%d\n", s }' "$NGINX_LOG"
}

nginx_requests() {
    local since=${1:-0}
    awk -v since="$since" 'NR > since { n++ } END { printf "%d\n", n }' "$NGINX_LOG"
}

# make_test_ca DIR: a throw-away PKI for 127.0.0.1, written into DIR:
#   ca.crt ca.key              the test CA
#   server.crt server.key      for nginx: CN and subjectAltName IP:127.0.0.1
#   client.crt client.key      a device certificate signed by the test CA
#   other-ca.crt               a second CA nginx does not trust, and
#   other-client.crt/.key      a client certificate it signed
make_test_ca() {
    local d=$1
    mkdir -p "$d"
    (
        set -euo pipefail
        cd "$d"
        umask 077
        q() { "$@" >/dev/null 2>&1 || { echo "make_test_ca: failed: $*" >&2; "$@" >&2; exit 1; }; }
        ca() {   # ca NAME CN
            q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                -keyout "$1.key" -out "$1.crt" -days 3 -subj "/CN=$2" \
                -addext "basicConstraints=critical,CA:TRUE" \
                -addext "keyUsage=critical,keyCertSign,cRLSign"
        }
        leaf() {   # leaf NAME CN CA EXTENSIONS
            q openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
            printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" "$4" > "$1.ext"
            q openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial \
                -days 3 -out "$1.crt" -extfile "$1.ext"
            rm -f "$1.csr" "$1.ext"
        }
        ca ca "Larch test CA"
        leaf server 127.0.0.1 ca $'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost'
        leaf client larch-test-device ca "extendedKeyUsage=clientAuth"
        ca other-ca "Larch untrusted CA"
        leaf other-client larch-untrusted-device other-ca "extendedKeyUsage=clientAuth"
        chmod 644 ./*.crt
    ) || fail "make_test_ca $d failed"
    log "test CA in $d: server certificate for IP:127.0.0.1, client certificate larch-test-device"
}

# start_proxy [ARGS...]: tests/integration/fault_proxy.py in front of the
# nginx started last, with ARGS (--fault RULE, --rate N, ...). Its count,
# stats and log files are in PROXY_DIR.
start_proxy() {
    [ -n "${NGINX_PORT:-}" ] || fail "start_proxy: start nginx first"
    # mktemp: sections run in subshells, a counter would repeat there.
    PROXY_DIR=$(mktemp -d "$LARCH_TEST_TMP/proxy.XXXXXX")
    PROXY_LOG=$PROXY_DIR/log
    python3 "$FAULT_PROXY" --upstream "127.0.0.1:$NGINX_PORT" --port-file "$PROXY_DIR/port" \
        --count-file "$PROXY_DIR/count" --stats-file "$PROXY_DIR/stats.json" --log "$PROXY_LOG" \
        "$@" 2>"$PROXY_DIR/stderr" &
    PROXY_PID=$!
    _LARCH_HTTP_PIDS+=("$PROXY_PID")
    for _ in $(seq 100); do
        [ -s "$PROXY_DIR/port" ] && break
        kill -0 "$PROXY_PID" 2>/dev/null || break
        sleep 0.05
    done
    if [ ! -s "$PROXY_DIR/port" ]; then
        cat "$PROXY_DIR/stderr" >&2
        fail "fault proxy did not start: $*"
    fi
    PROXY_URL="http://127.0.0.1:$(cat "$PROXY_DIR/port")"
    export PROXY_URL PROXY_PID PROXY_DIR PROXY_LOG
    log "fault proxy $PROXY_URL -> nginx :$NGINX_PORT (pid $PROXY_PID) $*"
}

stop_proxy() {
    [ -n "${PROXY_PID:-}" ] || return 0
    _stop_pid "$PROXY_PID"
    PROXY_PID=""
}

proxy_bytes() { cat "$PROXY_DIR/count"; }

# proxy_actions ACTION: how many responses the proxy treated with ACTION
# (cut, stall, corrupt, truncate, endless).
proxy_actions() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["actions"].get(sys.argv[2], 0))' \
        "$PROXY_DIR/stats.json" "$1"
}

# store_state DIR [NAME...]: tree_state of a store without its tmp/ (where
# partial downloads wait to be resumed, on purpose) and without the top-level
# files NAME* (e.g. state.db, which leaves out state.db-wal/-shm too).
# Objects, refs, config and state.db are all in it otherwise.
store_state() {
    store_listing "$@" | sha256sum
}

# store_listing DIR [NAME...]: what store_state hashes, one line per entry
# and per file content, so that a diff names what changed.
store_listing() {
    local dir=$1; shift
    local prune=(-path ./tmp) n
    for n in "$@"; do prune+=(-o -path "./$n*"); done
    # A directory's size is left out: tmpfs counts the entries in it, so it
    # would change with tmp/ (which is left out on purpose).
    (cd "$dir" && find . \( "${prune[@]}" \) -prune -o -type d -printf '%p d - %m %U:%G\n' \
            -o -printf '%p %y %s %m %U:%G %l\n' | LC_ALL=C sort &&
        find . \( "${prune[@]}" \) -prune -o -type f -exec sha256sum {} + | LC_ALL=C sort)
}

# trust_rows DIR: the rows of DIR/state.db that a failed pull must leave as
# they were, as SQL: every table (remotes, refs, deployment state...) but the
# history, where a failed or refused attempt may add a row, so only its
# count of successful installs ("ok") is compared.
trust_rows() {
    local db="file:$1/state.db?mode=ro"
    if [ ! -f "$1/state.db" ]; then
        echo "history ok 0"   # none yet: no rows
        return 0
    fi
    sqlite3 "$db" .dump | grep '^INSERT' |
        grep -v -e '^INSERT INTO history ' -e '^INSERT INTO sqlite_sequence ' || true
    echo "history ok $(sqlite3 "$db" "SELECT count(*) FROM history WHERE outcome = 'ok'")"
}

pulled_ref() {
    "$LARCH" refs --repo "$1" --json |
        python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$2"
}

# device_snapshot DIR FILE: what must not change when a pull fails: the
# store's files (store_state, but state.db is compared by its rows: a first
# pull creates the empty database even when it fails), its refs, and its
# trust rows.
device_snapshot() {
    {
        store_listing "$1" state.db | sed 's/^/file /'
        echo "refs $("$LARCH" refs --repo "$1" --json | tr -d ' \n')"
        trust_rows "$1"
    } > "$2"
}

# assert_device_unchanged DIR FILE WHAT: DIR is as device_snapshot saw it.
assert_device_unchanged() {
    local now
    now=$(mktemp)
    device_snapshot "$1" "$now"
    if ! cmp -s "$2" "$now"; then
        diff "$2" "$now" >&2 || true
        rm -f "$now"
        fail "$3: the device store, its refs or its trust state changed"
    fi
    rm -f "$now"
}

# run_pull DIR ARGS...: `larch pull --repo DIR ARGS...`, never stopping the
# script: sets PULL_RC, PULL_OUT, PULL_ERR (stdout, stderr) and PULL_SECONDS.
run_pull() {
    local dir=$1; shift
    local out err start
    out=$(mktemp) err=$(mktemp)
    log "+ larch pull --repo $dir $*"
    start=$(date +%s.%N)
    PULL_RC=0
    "$LARCH" pull --repo "$dir" "$@" >"$out" 2>"$err" || PULL_RC=$?
    PULL_SECONDS=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
    PULL_OUT=$(cat "$out")
    PULL_ERR=$(cat "$err")
    rm -f "$out" "$err"
    log "  exit $PULL_RC after ${PULL_SECONDS}s${PULL_ERR:+; stderr: $(tail -n 3 <<<"$PULL_ERR" | tr '\n' ' ')}"
}

_pull_transcript() {
    printf '%s\n' "--- exit $PULL_RC; stdout:" "$PULL_OUT" "--- stderr:" "$PULL_ERR" >&2
}

# expect_pull_ok WHAT: the last run_pull succeeded.
expect_pull_ok() {
    [ "$PULL_RC" -eq 0 ] || { _pull_transcript; fail "$1: pull failed (exit $PULL_RC)"; }
}

# expect_pull_failed WHAT CODES REGEX: the last run_pull failed with an exit
# code in CODES ("4" or "1|4") and a stderr matching the extended REGEX
# (case-insensitive).
expect_pull_failed() {
    local what=$1 codes=$2 regex=$3
    if [ "$PULL_RC" -eq 0 ]; then
        _pull_transcript
        fail "$what: the pull succeeded, it should have failed"
    fi
    if ! [[ "|$codes|" == *"|$PULL_RC|"* ]]; then
        _pull_transcript
        fail "$what: exit $PULL_RC, expected $codes"
    fi
    if ! grep -qiE -- "$regex" <<<"$PULL_ERR"; then
        _pull_transcript
        fail "$what: stderr does not match /$regex/"
    fi
}

# section NAME FUNCTION [ARGS...]: run FUNCTION in a subshell with set -e;
# a failure is recorded and the script goes on, so one run reports every
# check that fails; sections_done ends the script with the verdict.
# Variables set inside a section stay there.
_SECTIONS_PASSED=()
_SECTIONS_FAILED=()
section() {
    local name=$1; shift
    log "===== $name"
    local rc
    set +e
    ( set -e; "$@" )
    rc=$?
    set -e
    if [ "$rc" -eq 0 ]; then
        log "===== $name: ok"
        _SECTIONS_PASSED+=("$name")
    else
        log "===== $name: FAILED (exit $rc)"
        _SECTIONS_FAILED+=("$name")
    fi
}

sections_done() {
    local s
    log "sections passed: ${#_SECTIONS_PASSED[@]}, failed: ${#_SECTIONS_FAILED[@]}"
    for s in "${_SECTIONS_PASSED[@]}"; do log "  ok      $s"; done
    for s in "${_SECTIONS_FAILED[@]}"; do log "  FAILED  $s"; done
    [ "${#_SECTIONS_FAILED[@]}" -eq 0 ] || fail "${#_SECTIONS_FAILED[@]} section(s) failed: ${_SECTIONS_FAILED[*]}"
}

# clone_store SRC DST: a copy of a store to pull into, made quickly: objects
# are hard-linked (a pull adds objects and never rewrites one), everything
# else (refs, config, remotes, state.db) is copied.
clone_store() {
    local src=$1 dst=$2 e
    mkdir "$dst"
    for e in "$src"/* "$src"/.[!.]*; do
        [ -e "$e" ] || continue
        if [ "$(basename "$e")" = objects ]; then
            cp -al "$e" "$dst/"
        else
            cp -a "$e" "$dst/"
        fi
    done
}

# proxy_wire_report ROOT: the same table from the proxy's log: the body bytes
# it forwarded per file, including to clients that were killed half way
# (what reached the device's side of the link). Prints "again_data
# full_repeats" on stdout.
proxy_wire_report() {
    python3 - "$PROXY_LOG" "$1" <<'EOF2'
import collections, os, re, sys
log, root = sys.argv[1], sys.argv[2]
line_re = re.compile(r'^\S+ conn=\d+ (\S+) (\S+) status=(\d+) range=(\S+) length=\S+ sent=(\d+) action=(\S+)')
per_path = collections.defaultdict(lambda: [0, 0, 0])  # responses, body, ranges
for line in open(log):
    m = line_re.match(line)
    if not m:
        continue
    _method, path, _status, rng, sent, _action = m.groups()
    p = per_path[path]
    p[0] += 1; p[1] += int(sent); p[2] += rng != "-"
again = 0
repeats = 0
total = 0
for path, (n, body, ranges) in sorted(per_path.items()):
    total += body
    f = os.path.join(root, path.lstrip("/"))
    if os.path.isfile(f) and "/objects/" in path or "/deltas/" in path or "/dictionaries/" in path:
        if not os.path.isfile(f):
            continue
        size = os.path.getsize(f)
        extra = max(0, body - size)
        again += extra
        if size > 65536 and body >= 2 * size:
            repeats += 1
            print(f"  proxy: sent whole twice or more: {path} ({size} bytes, {body} sent)", file=sys.stderr)
print(f"  proxy: {total} body bytes forwarded in {sum(v[0] for v in per_path.values())} responses "
      f"({sum(v[2] for v in per_path.values())} ranges); {again} of object/delta files more than once",
      file=sys.stderr)
print(again, repeats)
EOF2
}

# wire_report ROOT [MARK]: what nginx served (its access log after line
# MARK), by kind of file, with the body bytes sent beyond each file's size
# ("again": bytes of a file sent more than once, e.g. after a resume that
# did not start where the last transfer stopped). ROOT is the directory
# nginx serves, to know each file's size. Prints a table on stderr and
# "total again_data full_repeats" on stdout, where again_data counts
# objects, dictionaries and delta files, and full_repeats the files over
# 64 kB sent whole twice.
wire_report() {
    python3 - "$NGINX_LOG" "$1" "${2:-0}" <<'EOF2'
import collections, os, re, sys
log, root, since = sys.argv[1], sys.argv[2], int(sys.argv[3])
line_re = re.compile(r'^(\d+) (\d+) (\d+) \S+ \S+ \S+ "(\S+) (\S+)[^"]*" "([^"]*)"')
per_path = collections.defaultdict(lambda: [0, 0, 0, 0])  # requests, bytes, body, ranges
for n, line in enumerate(open(log), 1):
    if n <= since:
        continue
    m = line_re.match(line)
    if not m:
        continue
    status, body, sent, _method, path, rng = m.groups()
    p = per_path[path.split("?")[0]]
    p[0] += 1; p[1] += int(sent); p[2] += int(body); p[3] += rng != "-"
def kind(path):
    if path.endswith("/summary") or path == "/summary": return "summary"
    if path.endswith((".commit", ".commitmeta")): return "commit+meta"
    if "/deltas/" in path or path.startswith("/deltas"):
        return "delta superblock" if path.endswith("superblock") else "delta parts"
    if "/objects/" in path or path.startswith("/objects"): return "objects"
    if "/dictionaries/" in path or path.startswith("/dictionaries"): return "dictionaries"
    return "other"
rows = collections.OrderedDict((k, [0, 0, 0, 0, 0]) for k in
                               ("summary", "commit+meta", "dictionaries", "delta superblock", "delta parts",
                                "objects", "other"))
full_repeats = []
for path, (reqs, sent, body, ranges) in per_path.items():
    k = kind(path)
    size = None
    f = os.path.join(root, path.lstrip("/"))
    if os.path.isfile(f):
        size = os.path.getsize(f)
    again = max(0, body - size) if size is not None else 0
    r = rows[k]
    r[0] += reqs; r[1] += sent; r[2] += body; r[3] += ranges; r[4] += again
    if size and size > 65536 and body >= 2 * size:
        full_repeats.append(f"{path} ({size} bytes, {body} sent)")
total = sum(r[1] for r in rows.values())
print(f"  {'kind':<17} {'requests':>8} {'ranges':>6} {'bytes sent':>11} {'body':>11} {'again':>9}", file=sys.stderr)
for k, (reqs, sent, body, ranges, again) in rows.items():
    if reqs:
        print(f"  {k:<17} {reqs:>8} {ranges:>6} {sent:>11} {body:>11} {again:>9}", file=sys.stderr)
print(f"  {'total':<17} {sum(r[0] for r in rows.values()):>8} {sum(r[3] for r in rows.values()):>6} {total:>11}", file=sys.stderr)
for f in full_repeats:
    print(f"  sent whole twice or more: {f}", file=sys.stderr)
again_data = sum(rows[k][4] for k in ("dictionaries", "delta superblock", "delta parts", "objects"))
print(total, again_data, len(full_repeats))
EOF2
}

# ratio A B: A/B with two decimals; le A B FACTOR: is A <= FACTOR * B?
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f\n", a / b; else print "n/a" }'; }
le() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { exit !(a <= f * b) }'; }

# pull_json_field KEY: KEY of the last JSON object in $PULL_OUT: the "done"
# event of `pull --json` (one object per line), or the one object an older
# `pull --json` printed over several lines.
pull_json_field() {
    python3 - "$PULL_OUT" "$1" <<'EOF2'
import json, sys
out, key = sys.argv[1], sys.argv[2]
objs = []
for line in out.splitlines():
    line = line.strip()
    if line.startswith("{") and line.endswith("}"):
        try:
            objs.append(json.loads(line))
        except ValueError:
            pass
if not objs:
    try:
        objs = [json.loads(out)]
    except ValueError:
        objs = [{}]
print(objs[-1].get(key, ""))
EOF2
}

# publish STORE TREE VERSION KEY: commit TREE as VERSION of the branch
# os/stable (compatible id board-a) into the archive STORE, created if
# missing, and sign it with KEY; prints the commit id. The summary is
# updated separately (update_summary), e.g. after generating deltas.
publish() {
    local store=$1 tree=$2 version=$3 key=$4 rev
    [ -d "$store" ] || larch init --repo "$store" --mode archive >/dev/null
    rev=$(larch commit --repo "$store" --branch os/stable --tree "$tree" --version "$version" \
        --metadata compatible=board-a)
    larch sign --repo "$store" "$rev" -k "$key" >/dev/null
    printf '%s\n' "$rev"
}

# update_summary STORE KEY: publish STORE's refs and deltas in a new summary.
update_summary() {
    larch summary --repo "$1" --update -k "$2" >&2
}

# device_from_file DEV STORE RING REV: a new bare store DEV that pulled
# os/stable from STORE through a file:// remote and is at REV (a device that
# installed a first release).
device_from_file() {
    bare_device "$1" "file://$2" "$3"
    larch pull --repo "$1" origin os/stable >/dev/null
    assert_eq "$4" "$(pulled_ref "$1" origin:os/stable)" "$1: ref after the first pull"
}

# bare_device DEV URL RING [REMOTE-ADD-OPTIONS...]: a new bare store DEV
# (a device) whose remote origin is URL, trusting the keys in RING.
bare_device() {
    local dev=$1 url=$2 ring=$3; shift 3
    larch init --repo "$dev" --mode bare >/dev/null
    larch remote add --repo "$dev" origin "$url" --keyring "$ring" --compatible board-a "$@"
}
