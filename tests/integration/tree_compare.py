#!/usr/bin/env python3
"""Prove that two directory trees are equal, entry by entry.

Compared for every path (the root directory included, as "."):
  type, full permission bits (with setuid, setgid, sticky), uid, gid,
  content bytes (SHA-256) of regular files, symlink targets, device numbers,
  every extended attribute (security.capability, user.*, ... read without
  following symlinks), and the hard-link structure.
Not compared: timestamps (a checkout legitimately has new ones), st_nlink
(links from outside the tree, e.g. into a repository's object store, count
there) and inode numbers themselves.

Hard links (--links):
  exact     the partition of non-directory paths into inode groups is the
            same in both trees: a copy-mode checkout must recreate exactly
            the links of the source.
  superset  every group of paths hard-linked together in A is also linked
            together in B; B may link more. A hard-link checkout shares one
            store inode among all paths with the same content object, so it
            links files that were separate in the source.
  ignore    do not compare hard-link structure.

Prints each difference (up to --max-diffs), then one summary line; exits 0
if the trees are equal, 1 if not, 2 on bad usage.
"""

import argparse
import hashlib
import os
import stat
import sys

TYPES = {
    stat.S_IFDIR: "dir",
    stat.S_IFREG: "file",
    stat.S_IFLNK: "symlink",
    stat.S_IFIFO: "fifo",
    stat.S_IFCHR: "chardev",
    stat.S_IFBLK: "blockdev",
    stat.S_IFSOCK: "socket",
}


def file_hash(path):
    h = hashlib.sha256()
    # O_NOFOLLOW: the entry was lstat'ed as a regular file; never let a race
    # or a bug make us read through a symlink instead.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            h.update(chunk)
    finally:
        os.close(fd)
    return h.hexdigest()


def read_xattrs(path):
    out = {}
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError as e:
        # A filesystem without xattr support has none to compare.
        if e.errno in (getattr(os, "ENOTSUP", 95), 95):
            return out
        raise
    for name in names:
        out[name] = os.getxattr(path, name, follow_symlinks=False)
    return out


class Entry:
    __slots__ = ("type", "perm", "uid", "gid", "size", "digest", "target",
                 "rdev", "xattrs", "inode")

    def __init__(self, full):
        st = os.lstat(full)
        fmt = stat.S_IFMT(st.st_mode)
        self.type = TYPES.get(fmt, "unknown(%o)" % fmt)
        self.perm = stat.S_IMODE(st.st_mode)  # 07777: incl. suid/sgid/sticky
        self.uid = st.st_uid
        self.gid = st.st_gid
        self.size = st.st_size if fmt == stat.S_IFREG else None
        self.digest = None  # computed lazily: only when sizes already agree
        self.target = os.readlink(full) if fmt == stat.S_IFLNK else None
        self.rdev = st.st_rdev if fmt in (stat.S_IFCHR, stat.S_IFBLK) else None
        self.xattrs = read_xattrs(full)
        # Directories cannot be hard-linked; their nlink is not structure.
        self.inode = None if fmt == stat.S_IFDIR else (st.st_dev, st.st_ino)


def scan(root, excludes):
    """Map relative path -> Entry for every entry under root (root is ".")."""
    entries = {}
    stack = ["."]
    while stack:
        rel = stack.pop()
        full = root if rel == "." else os.path.join(root, rel)
        e = Entry(full)
        entries[rel] = e
        if e.type == "dir":
            for name in os.listdir(full):
                child = name if rel == "." else rel + "/" + name
                if child in excludes:
                    continue
                stack.append(child)
    return entries


def link_groups(entries):
    """Map relative path -> frozenset of the paths sharing its inode."""
    by_inode = {}
    for rel, e in entries.items():
        if e.inode is not None:
            by_inode.setdefault(e.inode, []).append(rel)
    groups = {}
    for paths in by_inode.values():
        g = frozenset(paths)
        for p in paths:
            groups[p] = g
    return groups


def fmt_xattr(v):
    return v.hex() if len(v) <= 32 else v[:32].hex() + "...(%d bytes)" % len(v)


def fmt_group(g, limit=4):
    items = sorted(g)
    s = ", ".join(items[:limit])
    if len(items) > limit:
        s += ", ... (%d paths)" % len(items)
    return "{" + s + "}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a", help="reference tree (e.g. the committed source)")
    ap.add_argument("b", help="tree to check (e.g. a checkout)")
    ap.add_argument("--links", choices=("exact", "superset", "ignore"),
                    default="exact", help="hard-link comparison (default exact)")
    ap.add_argument("--exclude", action="append", default=[], metavar="RELPATH",
                    help="leave out this relative path (and what is below it) "
                         "in both trees; repeatable")
    ap.add_argument("--max-diffs", type=int, default=50,
                    help="print at most this many differences (default 50)")
    args = ap.parse_args()

    for t in (args.a, args.b):
        if not os.path.isdir(t) or os.path.islink(t):
            print("tree_compare: not a directory: %s" % t, file=sys.stderr)
            return 2
    excludes = {p.strip("/") for p in args.exclude}

    a = scan(args.a, excludes)
    b = scan(args.b, excludes)

    diffs = []

    def diff(msg):
        diffs.append(msg)
        if len(diffs) <= args.max_diffs:
            print("DIFF " + msg)

    for rel in sorted(a.keys() - b.keys()):
        diff("%s: only in A (%s)" % (rel, a[rel].type))
    for rel in sorted(b.keys() - a.keys()):
        diff("%s: only in B (%s)" % (rel, b[rel].type))

    common = sorted(a.keys() & b.keys())
    for rel in common:
        ea, eb = a[rel], b[rel]
        if ea.type != eb.type:
            diff("%s: type A %s, B %s" % (rel, ea.type, eb.type))
            continue
        if ea.perm != eb.perm:
            diff("%s: mode A %04o, B %04o" % (rel, ea.perm, eb.perm))
        if ea.uid != eb.uid or ea.gid != eb.gid:
            diff("%s: owner A %d:%d, B %d:%d" % (rel, ea.uid, ea.gid, eb.uid, eb.gid))
        if ea.type == "file":
            if ea.size != eb.size:
                diff("%s: size A %d, B %d" % (rel, ea.size, eb.size))
            else:
                ha = file_hash(os.path.join(args.a, rel))
                hb = file_hash(os.path.join(args.b, rel))
                if ha != hb:
                    diff("%s: content A sha256 %s, B sha256 %s" % (rel, ha, hb))
        if ea.target != eb.target:
            diff("%s: symlink target A %r, B %r" % (rel, ea.target, eb.target))
        if ea.rdev != eb.rdev:
            diff("%s: device A %s, B %s" % (rel, ea.rdev, eb.rdev))
        for name in sorted(ea.xattrs.keys() | eb.xattrs.keys()):
            va, vb = ea.xattrs.get(name), eb.xattrs.get(name)
            if va == vb:
                continue
            if vb is None:
                diff("%s: xattr %s only in A (%s)" % (rel, name, fmt_xattr(va)))
            elif va is None:
                diff("%s: xattr %s only in B (%s)" % (rel, name, fmt_xattr(vb)))
            else:
                diff("%s: xattr %s A %s, B %s" % (rel, name, fmt_xattr(va), fmt_xattr(vb)))

    if args.links != "ignore":
        # Only paths present (as non-directories) in both trees take part; a
        # missing path or a type change was reported above already. Work
        # group by group: a hard-link checkout can have groups of thousands.
        ga, gb = link_groups(a), link_groups(b)
        both = {rel for rel in common if rel in ga and rel in gb}
        seen = set()
        b_cache = {}
        for rel in sorted(both):
            group_a = ga[rel]
            if group_a in seen:
                continue
            seen.add(group_a)
            sa = group_a & both
            group_b = gb[rel]
            if args.links == "exact":
                key = id(group_b)
                if key not in b_cache:
                    b_cache[key] = group_b & both
                bad = sa != b_cache[key]
                shown_b = b_cache[key]
            else:
                bad = not sa <= group_b
                shown_b = (group_b & both) if bad else None
            if bad:
                diff("%s: hard links A %s, B %s" % (rel, fmt_group(sa), fmt_group(shown_b)))

    if len(diffs) > args.max_diffs:
        print("... %d more differences not shown" % (len(diffs) - args.max_diffs))
    status = "EQUAL" if not diffs else "DIFFERENT"
    print("tree_compare: %s: %d entries compared (%d in A, %d in B), "
          "%d differences, links=%s"
          % (status, len(common), len(a), len(b), len(diffs), args.links))
    return 0 if not diffs else 1


if __name__ == "__main__":
    sys.exit(main())
