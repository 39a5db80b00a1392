#!/bin/bash
# gen-man.sh: write the larch man pages (larch.1, larch-VERB.1) from the
# binary's own --help into docs/man/ (or OUTDIR), with tools/gen_man.py.
#
#   tools/gen-man.sh [LARCH [OUTDIR]]
#
# LARCH defaults to $LARCH, else build/tools/larch. Run it after changing a
# verb or an option and commit docs/man/; tests/integration/test-man-pages.sh
# fails while the committed pages differ from what this writes. The pages
# carry the binary's version and a fixed date (the release's, bumped with
# the version) so the same binary always writes the same bytes.
set -euo pipefail

MAN_DATE="2026-12-06"

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
larch=${1:-${LARCH:-$src/build/tools/larch}}
out=${2:-$src/docs/man}
[ -x "$larch" ] || { echo "gen-man.sh: no larch binary at $larch (build first)" >&2; exit 1; }

version=$("$larch" --version)
# Start from an empty directory: a verb that went away takes its page along.
rm -f "$out"/larch*.1
python3 "$src/tools/gen_man.py" "$larch" "$out" "$version" "$MAN_DATE"
echo "gen-man.sh: wrote $(find "$out" -maxdepth 1 -name 'larch*.1' | wc -l) pages to $out"
