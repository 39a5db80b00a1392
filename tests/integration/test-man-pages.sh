#!/bin/bash
# ctest-labels: no-sanitizer
# (no-sanitizer: what it checks is text, shell or another tool's work, not
# Larch's memory handling; the ASan pass of tools/run-tests.sh leaves it out)
# The committed man pages (docs/man/*.1) are what tools/gen-man.sh writes
# from this binary's --help: regenerated into a temporary directory, they
# must be byte for byte the same (else: run tools/gen-man.sh and commit).
# Each page must render with man(1) without a warning from groff, and
# `man larch` and `man larch-admin` must find their page through MANPATH, as
# they do once installed in share/man/man1.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_larch
command -v man >/dev/null || fail "man is missing: install man-db (tools/setup.sh)"
command -v python3 >/dev/null || fail "python3 is missing (tools/setup.sh)"
DOCS=$LARCH_SOURCE_DIR/docs/man
GEN=$(tmpdir gen)

log "regenerate into $GEN"
bash "$LARCH_SOURCE_DIR/tools/gen-man.sh" "$LARCH" "$GEN" >&2
if ! diff -ru "$DOCS" "$GEN" >&2; then
    fail "docs/man is not what tools/gen-man.sh writes from larch --help: run tools/gen-man.sh and commit docs/man"
fi
pages=$(find "$DOCS" -name 'larch*.1' | wc -l)
verbs=$("$LARCH" --help | awk '$0 == "Subcommands:" { on = 1; next } /^[^ ]/ { on = 0 } on && /^  [^ ]/' | wc -l)
assert_eq "$((verbs + 1))" "$pages" "pages (larch.1 and one per verb)"

log "render each page with man -l, warnings on"
for page in "$DOCS"/larch*.1; do
    assert_exit 0 env MANWIDTH=80 man --warnings -E UTF-8 -l "$page"
    [ -z "$LAST_STDERR" ] || fail "man -l $(basename "$page") warns: $LAST_STDERR"
    assert_contains "$LAST_STDOUT" "NAME" "man -l $(basename "$page")"
done
assert_exit 0 env MANWIDTH=80 man -l "$DOCS/larch.1"
assert_contains "$LAST_STDOUT" "larch-admin(1)" "larch.1"
assert_contains "$LAST_STDOUT" "EXIT STATUS" "larch.1"
assert_exit 0 env MANWIDTH=80 man -l "$DOCS/larch-admin.1"
assert_contains "$LAST_STDOUT" "larch admin upgrade" "larch-admin.1"
assert_contains "$LAST_STDOUT" "--max-rate" "larch-admin.1"

log "man larch and man larch-admin open through MANPATH"
MANROOT=$(tmpdir share)/man
mkdir -p "$MANROOT/man1"
cp "$DOCS"/larch*.1 "$MANROOT/man1/"
for name in larch larch-admin larch-delta larch-remote; do
    assert_exit 0 env MANPATH="$MANROOT" man -w "$name"
    assert_eq "$MANROOT/man1/$name.1" "$LAST_STDOUT" "man -w $name"
    assert_exit 0 env MANPATH="$MANROOT" MANWIDTH=80 man "$name"
    assert_contains "$LAST_STDOUT" "$name" "man $name"
done
log "ok"
