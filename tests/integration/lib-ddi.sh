# shellcheck shell=bash
# lib-ddi.sh - the hawkBit DDI test server (tests/integration/ddi_server.py)
# for tests of DDI clients. Source it after lib.sh and lib-http.sh:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-http.sh"
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-ddi.sh"
#
# The server runs as the test's own process on 127.0.0.1 (plain HTTP), with
# its port file, request log and stderr under the test's scratch space; it
# is stopped at exit by lib-http.sh's exit hook, like nginx and the proxy.
# Its management API (/mgmt/..., JSON, no authentication) sets up targets
# and actions and reads back what the device did; ddi_server.py's header
# describes it.
#
#   require_ddi_tools          python3, curl and jq, or fail
#   start_ddi_server [ARGS...] ddi_server.py ARGS (--sleep HH:MM:SS,
#                              --gateway-token T); sets and exports DDI_URL,
#                              DDI_PORT, DDI_DIR, DDI_PID, DDI_LOG
#   stop_ddi_server            stop the last one started
#   ddi_mgmt METHOD PATH [JSON]   a management request; prints the body
#   ddi_add_target TENANT CONTROLLER TOKEN
#   ddi_assign TENANT CONTROLLER TYPE FILE [KEY=VALUE...]
#                              one action with FILE as its one artifact;
#                              prints the action id
#   ddi_action ID, ddi_target TENANT CONTROLLER   their state, as JSON
#   ddi_feedback ID            the feedback recorded, one JSON array
#   ddi_executions ID          one line per feedback: "execution finished"
#   ddi_wait SECONDS WHAT CMD...  until CMD succeeds, or fail

DDI_SERVER="$LARCH_SOURCE_DIR/tests/integration/ddi_server.py"

declare -F _stop_pid >/dev/null || {
    echo "lib-ddi.sh: source lib-http.sh first" >&2
    exit 1
}

require_ddi_tools() {
    local t
    for t in python3 curl jq; do
        command -v "$t" >/dev/null 2>&1 || fail "$t is not installed (tools/setup.sh installs it)"
    done
}

# start_ddi_server [ARGS...]: ddi_server.py on a free port, with ARGS; waits
# (at most 10 s) for it to write its port file.
start_ddi_server() {
    DDI_DIR=$(mktemp -d "$LARCH_TEST_TMP/ddi.XXXXXX")
    DDI_LOG=$DDI_DIR/requests.log
    python3 "$DDI_SERVER" --port-file "$DDI_DIR/port" --log "$DDI_LOG" "$@" 2>"$DDI_DIR/stderr" &
    DDI_PID=$!
    _LARCH_HTTP_PIDS+=("$DDI_PID")
    for _ in $(seq 200); do
        [ -s "$DDI_DIR/port" ] && break
        kill -0 "$DDI_PID" 2>/dev/null || break
        sleep 0.05
    done
    if [ ! -s "$DDI_DIR/port" ]; then
        cat "$DDI_DIR/stderr" >&2
        fail "the DDI server did not start: $*"
    fi
    DDI_PORT=$(cat "$DDI_DIR/port")
    DDI_URL="http://127.0.0.1:$DDI_PORT"
    export DDI_URL DDI_PORT DDI_DIR DDI_PID DDI_LOG
    log "DDI server $DDI_URL (pid $DDI_PID) $*"
}

stop_ddi_server() {
    [ -n "${DDI_PID:-}" ] || return 0
    _stop_pid "$DDI_PID"
    log "DDI server (pid $DDI_PID) stopped"
    DDI_PID=""
}

# ddi_mgmt METHOD PATH [JSON]: a request to the management side; prints the
# response body and fails the test on a status other than 2xx. Assign it
# plainly, X=$(ddi_mgmt ...), so that set -e ends the script on a failure
# ("local x=$(...)" would swallow it).
ddi_mgmt() {
    local method=$1 path=$2 body=${3:-} out code
    [ -n "${DDI_URL:-}" ] || fail "ddi_mgmt: start the DDI server first"
    out=$(mktemp)
    local args=(-sS -X "$method" -o "$out" -w '%{http_code}')
    [ -z "$body" ] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
    code=$(curl "${args[@]}" "$DDI_URL$path") || code="curl failed ($?)"
    if [[ "$code" != 2[0-9][0-9] ]]; then
        printf '%s\n' "--- $method $path $body" "--- answer $code:" "$(cat "$out")" >&2
        rm -f "$out"
        fail "ddi_mgmt $method $path: $code"
    fi
    cat "$out"
    rm -f "$out"
}

# ddi_add_target TENANT CONTROLLER TOKEN: a target whose target token is TOKEN.
ddi_add_target() {
    ddi_mgmt POST /mgmt/targets "$(jq -nc --arg t "$1" --arg c "$2" --arg k "$3" \
        '{tenant: $t, controller: $c, token: $k}')" >/dev/null
}

# ddi_assign TENANT CONTROLLER TYPE FILE [KEY=VALUE...]: a new action of TYPE
# (forced, soft, downloadonly, timeforced) with one chunk (part os) whose one
# artifact is FILE; KEY=VALUE pairs are added to the artifact (VALUE taken as
# JSON if it parses, else as a string: filename=x.swu, cut_after=4096,
# sha256=..., size=...). Prints the action id.
ddi_assign() {
    local tenant=$1 controller=$2 type=$3 file=$4; shift 4
    local art kv key value
    art=$(jq -nc --arg p "$file" '{path: $p}')
    for kv in "$@"; do
        key=${kv%%=*} value=${kv#*=}
        if jq -e . >/dev/null 2>&1 <<<"$value"; then
            art=$(jq -c --arg k "$key" --argjson v "$value" '.[$k] = $v' <<<"$art")
        else
            art=$(jq -c --arg k "$key" --arg v "$value" '.[$k] = $v' <<<"$art")
        fi
    done
    local reply
    reply=$(ddi_mgmt POST /mgmt/actions "$(jq -nc --arg t "$tenant" --arg c "$controller" \
        --arg y "$type" --argjson a "$art" \
        '{tenant: $t, controller: $c, type: $y,
          chunks: [{part: "os", name: "test", version: "1.0", artifacts: [$a]}]}')")
    jq -r .id <<<"$reply"
}

# ddi_action ID: the action's state (status, feedback, cancel_feedback,
# downloads...), as JSON.
ddi_action() {
    ddi_mgmt GET "/mgmt/actions/$1"
}

# ddi_target TENANT CONTROLLER: the target's state (attributes, polls,
# installed_action, requests...), as JSON.
ddi_target() {
    ddi_mgmt GET "/mgmt/targets/$1/$2"
}

# ddi_feedback ID: the feedback bodies recorded for the action, in order,
# as one JSON array.
ddi_feedback() {
    local a
    a=$(ddi_action "$1")
    jq -c .feedback <<<"$a"
}

# ddi_executions ID: one line per feedback of the action: "execution
# finished" (proceeding none, closed success...).
ddi_executions() {
    local a
    a=$(ddi_action "$1")
    jq -r '.feedback[] | "\(.status.execution) \(.status.result.finished)"' <<<"$a"
}

# ddi_wait SECONDS WHAT CMD...: run CMD (quietly) every 0.2 s until it
# succeeds; fail naming WHAT after SECONDS.
ddi_wait() {
    local secs=$1 what=$2; shift 2
    local end=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$end" ] || fail "timed out after ${secs}s waiting for $what"
        sleep 0.2
    done
}
