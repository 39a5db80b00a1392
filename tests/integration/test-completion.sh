#!/bin/bash
# ctest-labels: no-sanitizer
# (no-sanitizer: what it checks is text, shell or another tool's work, not
# Larch's memory handling; the ASan pass of tools/run-tests.sh leaves it out)
# Bash completion (tools/completion/larch.bash) against the real binary:
#   1. the completion function, called as bash calls it (COMP_LINE,
#      COMP_POINT, COMP_WORDS, COMP_CWORD), completes verbs, sub-verbs, the
#      options of the verb typed, option values (fixed choices, refs,
#      remotes, files), refs and remotes of the --repo (or $LARCH_REPO)
#      store;
#   2. in a real interactive bash (bash --norc -i under tmux), typing
#      `larch adm<TAB>` and `larch admin upg<TAB>` completes the line.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_larch
COMPLETION=$LARCH_SOURCE_DIR/tools/completion/larch.bash
W=$(tmpdir work)
BIN=$W/bin
mkdir -p "$BIN" "$W/tree/etc"
ln -s "$LARCH" "$BIN/larch"
export PATH="$BIN:$PATH"
unset LARCH_REPO

# A store with a ref and a remote to complete.
R=$W/store
larch init --repo "$R" --mode archive >/dev/null
echo hi >"$W/tree/etc/motd"
larch commit --repo "$R" -b os/stable --tree "$W/tree" >/dev/null 2>&1
mkdir "$W/keyring"
larch key generate -o "$W/keyring/k" >/dev/null 2>&1
larch remote add --repo "$R" origin "file://$W/server" --keyring "$W/keyring" >/dev/null

# shellcheck source=../../tools/completion/larch.bash
source "$COMPLETION" || fail "sourcing $COMPLETION failed"
[ "$(complete -p larch)" = "complete -F _larch larch" ] || fail "larch.bash does not register _larch: $(complete -p larch)"

# complete_line LINE: set GOT to what TAB offers at the end of LINE, sorted,
# on one line. Not in a subshell: the completion's --help cache lives on.
complete_line() {
    local COMP_LINE=$1 COMP_POINT=${#1} COMP_WORDS COMP_CWORD
    read -ra COMP_WORDS <<<"$1"
    [[ $1 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _larch larch "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    GOT=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//')
}

# expect LINE WANT: the completions of LINE are exactly WANT.
expect() {
    complete_line "$1"
    [ "$GOT" = "$2" ] || fail "completing '$1': expected '$2', got '$GOT'"
    log "'$1' -> '$GOT'"
}

# offers LINE WORD: WORD is among the completions of LINE.
offers() {
    complete_line "$1"
    [[ " $GOT " == *" $2 "* ]] || fail "completing '$1': '$2' not offered in '$GOT'"
}

log "verbs and sub-verbs"
expect "larch adm" "admin"
expect "larch com" "commit"
expect "larch admin upg" "upgrade"
expect "larch admin u" "undeploy unpin upgrade"
expect "larch delta " "apply generate list show"
expect "larch delta gen" "generate"
expect "larch remote " "add list remove show status"
expect "larch key " "generate id"
expect "larch --repo $R adm" "admin"
offers "larch " "checkout"
offers "larch " "admin"

log "options of the verb typed"
expect "larch admin upgrade --max" "--max-rate"
expect "larch pull --max" "--max-rate"
expect "larch commit --tr" "--tree"
expect "larch admin upgrade --dow" "--download-only"
offers "larch commit -" "--branch"
offers "larch commit -" "-b"
offers "larch log -" "--repo"
offers "larch admin status --" "--sysroot"
expect "larch --re" "--repo"

log "option values: choices, refs, remotes, files"
expect "larch init --mode " "archive bare"
expect "larch checkout --mode h" "hardlink"
expect "larch --repo $R delta generate --to " "os/stable"
expect "larch --repo $R verify os/stable --remote " "origin"
offers "larch commit --tree $W/tr" "$W/tree"

log "positionals: refs and remotes of --repo, else \$LARCH_REPO"
expect "larch --repo $R log " "os/stable"
expect "larch --repo $R show os/s" "os/stable"
expect "larch show --repo $R os/" "os/stable"
expect "larch --repo $R diff os/stable " "os/stable"
expect "larch --repo $R pull " "origin"
expect "larch --repo $R remote show o" "origin"
expect "larch --repo $R remote add " ""
export LARCH_REPO=$R
expect "larch log " "os/stable"
expect "larch pull or" "origin"
offers "larch checkout os/stable $W/tr" "$W/tree"
unset LARCH_REPO

log "interactive bash under tmux: larch adm<TAB>, larch admin upg<TAB>"
command -v tmux >/dev/null || fail "tmux is missing (tools/setup.sh installs it)"
SOCKET=larch-completion-$$
stop_tmux() { tmux -L "$SOCKET" kill-server 2>/dev/null || true; }
larch_on_exit stop_tmux
# No history file: bash writes one into HOME as kill-server ends it, which
# raced with the removal of the scratch directory ("Directory not empty").
tmux -L "$SOCKET" new-session -d -x 160 -y 40 \
    "env -i HOME=$W HISTFILE= PATH=$BIN:/usr/bin:/bin TERM=xterm PS1='test\$ ' bash --norc --noprofile -i"

# screen_shows TEXT: wait (up to 10 s) until the pane's last prompt line is
# TEXT (trailing spaces aside: tmux drops them; the next keys typed show
# whether completion added one).
screen_shows() {
    local want=${1%% } line="" i
    for ((i = 0; i < 100; i++)); do
        line=$(tmux -L "$SOCKET" capture-pane -p | grep '^test\$' | tail -n 1 | sed 's/ *$//' || true)
        [ "$line" = "$want" ] && return 0
        sleep 0.1
    done
    fail "interactive bash: expected the line '$want', the screen shows '$line'"
}

tmux -L "$SOCKET" send-keys "source $COMPLETION" Enter
screen_shows 'test$'
tmux -L "$SOCKET" send-keys "larch adm" Tab
screen_shows 'test$ larch admin '
tmux -L "$SOCKET" send-keys "upg" Tab
screen_shows 'test$ larch admin upgrade '
tmux -L "$SOCKET" send-keys -- "--max" Tab
screen_shows 'test$ larch admin upgrade --max-rate '
tmux -L "$SOCKET" send-keys C-u "larch --repo $R show os/s" Tab
screen_shows "test\$ larch --repo $R show os/stable "
log "ok"
