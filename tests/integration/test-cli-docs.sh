#!/bin/bash
# ctest-labels: no-sanitizer
# (no-sanitizer: what it checks is text, shell or another tool's work, not
# Larch's memory handling; the ASan pass of tools/run-tests.sh leaves it out)
# docs/cli.md names every verb and every option of the binary. The test walks
# `larch --help` and the --help of each verb and sub-verb (CLI11's layout:
# "Options:" and "Subcommands:" sections) and, for each verb VERB (such as
# "admin upgrade"), wants:
#   - a table row of docs/cli.md whose text holds `VERB (followed by a space
#     or a backquote): the verb's row(s);
#   - each of its options, short and long forms, in those rows; --json may
#     instead be "yes" in the row's --json column; an option every verb of a
#     group takes may instead be in the group's paragraph that begins
#     "Every `GROUP` verb";
#   - the global options (larch --help) anywhere in docs/cli.md.
# The checker then runs on copies of docs/cli.md with a verb's rows, or an
# option, taken out: it must notice, so the test cannot pass by parsing
# nothing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_larch
DOC=$LARCH_SOURCE_DIR/docs/cli.md
WORK=$(tmpdir work)

# "larch WORDS... --help", run once per verb (the checker runs three times).
help_of() {
    local file="$WORK/help.${*// /.}"
    [ -f "$file" ] || "$LARCH" "$@" --help >"$file"
    cat "$file"
}

# Entries of one section of "larch WORDS... --help".
section() {
    local name=$1; shift
    help_of "$@" | awk -v want="$name:" '$0 == want { on = 1; next } /^[^ ]/ { on = 0 } on && /^  [^ ]/'
}
subcommands() { section Subcommands "$@" | awk '{ print $1 }'; }
options() {
    section Options "$@" | awk '/^  -/ { n = split($1, names, ","); for (i = 1; i <= n; i++) print names[i] }'
}

# has_option TEXT OPTION: OPTION as a word of TEXT ("--from" is not "--from-x").
has_option() { grep -qE -- "(^|[^a-zA-Z0-9-])$2([^a-zA-Z0-9-]|$)" <<<"$1"; }

# All verb paths, one per line ("commit", "admin", "admin upgrade").
verb_paths() {
    local verb sub
    for verb in $(subcommands); do
        printf '%s\n' "$verb"
        for sub in $(subcommands "$verb"); do printf '%s %s\n' "$verb" "$sub"; done
    done
}

# check_docs DOC [VERB...]: print what DOC is missing, one line each, of
# the global options and every verb (or of the VERBs named).
check_docs() {
    local doc=$1 path opt rows group checked=0
    shift
    for opt in $(options); do
        case $opt in -h | --help | --version) continue ;; esac
        has_option "$(cat "$doc")" "$opt" || echo "global option $opt"
    done
    while read -r path; do
        # shellcheck disable=SC2086 # the words of the path
        set -- $path
        rows=$(grep -E '^\|' "$doc" | grep -F -e "\`$path " -e "\`$path\`" || true)
        [ -n "$rows" ] || echo "verb '$path': no table row with \`$path"
        group=""
        [ $# -gt 1 ] && group=$(awk -v p="Every \`$1\` verb" 'index($0, p) == 1 { on = 1 } on && !NF { exit } on' "$doc")
        for opt in $(options "$@"); do
            case $opt in -h | --help) continue ;; esac
            checked=$((checked + 1))
            [ "$opt" = --json ] && grep -qE '\| yes \|$' <<<"$rows" && continue
            has_option "$rows"$'\n'"$group" "$opt" || echo "verb '$path': option $opt"
        done
    done < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cat "$WORK/verbs"; fi)
    echo "checked $checked" >&2
}

verb_paths >"$WORK/verbs"
log "verbs: $(wc -l <"$WORK/verbs")"
[ "$(wc -l <"$WORK/verbs")" -ge 30 ] || fail "found only $(wc -l <"$WORK/verbs") verbs in larch --help: did its layout change?"
missing=$(check_docs "$DOC" 2>"$WORK/count")
[ -z "$missing" ] || fail "docs/cli.md does not document:"$'\n'"$missing"
checked=$(awk '{ print $2 }' "$WORK/count")
log "options checked: $checked"
[ "$checked" -ge 80 ] || fail "checked only $checked options: did the help layout change?"

log "the checker notices an option left out (--max-rate) and a verb left out (fsck)"
sed 's/--max-rate/--max-gone/g' "$DOC" >"$WORK/no-max-rate.md"
assert_contains "$(check_docs "$WORK/no-max-rate.md" pull 2>/dev/null)" "verb 'pull': option --max-rate"
grep -v '`fsck' "$DOC" >"$WORK/no-fsck.md"
assert_contains "$(check_docs "$WORK/no-fsck.md" fsck 2>/dev/null)" "verb 'fsck': no table row"
log "ok"
