#!/usr/bin/env python3
"""docs_section.py DOC HEADING SECTION_FILE - put a benchmark's section into DOC.

The section (SECTION_FILE, starting with its "## HEADING" line) replaces the
one under the same heading in DOC, up to the next "## " heading, or is
appended when DOC has none; the rest of DOC is kept as it is. For the
--write-docs option of tools/bench/bench-*.sh.
"""
import os
import re
import sys


def main(doc, heading, section_file):
    section = open(section_file).read().rstrip("\n") + "\n"
    text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n"
    m = re.search(r"^## " + re.escape(heading) + r"\n.*?(?=^## |\Z)", text, flags=re.M | re.S)
    if m:
        text = text[:m.start()] + section + ("\n" if m.end() < len(text) else "") + text[m.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(doc, "w") as f:
        f.write(text)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
