#!/bin/bash
# check-package.sh [OUTDIR] - the Debian packages of Larch, end to end:
#
#   build    dpkg-buildpackage -us -uc -b from a copy of the tree (nothing
#            lands in the checkout), .debs and .changes into OUTDIR
#   lintian  on the .changes: fails on any error (warnings are shown)
#   install  apt-get install OUTDIR/*.deb (with their dependencies)
#   check    /usr/bin/larch --version is the packaged version; man -w larch
#            when the tree has man pages; the installed file list
#   demo     tools/demo.sh --no-setup with the installed larch,
#            larch-prepare-root and larch-health
#   purge    the packages are removed again unless they were installed
#            before (the dracut module and initramfs hook would otherwise
#            go into this machine's initramfs images and the hook tests')
#
# Exits 0 only when every phase passed; prints how long each one took.
# Runs as root (apt-get, the demo). OUTDIR defaults to
# /var/tmp/larch-package/out.
#
# Env: LARCH_PACKAGE_WORK  where the copy is built (default
#                          /var/tmp/larch-package). A fixed path: the build
#                          path is mapped into the debug information, so
#                          ccache (used when installed) hits only when it
#                          stays the same from run to run.
#      LARCH_PACKAGE_KEEP=1 leave the packages installed
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${LARCH_PACKAGE_WORK:-/var/tmp/larch-package}
out=${1:-$work/out}
case $out in /*) ;; *) out=$PWD/$out ;; esac
[ $# -le 1 ] || { echo "usage: $0 [OUTDIR]" >&2; exit 2; }

if [ "$(id -u)" -ne 0 ]; then
    echo "check-package: run as root (apt-get install, the demo's mounts)" >&2
    exit 1
fi
for tool in dpkg-buildpackage dpkg-parsechangelog lintian apt-get git; do
    command -v "$tool" >/dev/null ||
        { echo "check-package: $tool is missing (tools/setup.sh installs it)" >&2; exit 1; }
done

timings=()
phase_name=""
phase_start=$SECONDS
phase() {   # phase NAME: closes the running phase, starts the next
    if [ -n "$phase_name" ]; then timings+=("$(printf '%-8s %4d s' "$phase_name" $((SECONDS - phase_start)))"); fi
    phase_name=$1
    phase_start=$SECONDS
    [ "$1" = end ] || printf '\n== check-package: %s\n' "$1"
}
fail() {
    echo "check-package: FAILED in phase $phase_name: $*" >&2
    exit 1
}

version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
upstream=${version%-*}
export DEBIAN_FRONTEND=noninteractive

phase build
# The copy holds what git tracks plus new files not ignored (so uncommitted
# work is packaged too), never build/ or other artefacts.
copy=$work/src/larch-$upstream
rm -rf "$work/src"
mkdir -p "$copy" "$out"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$src" ls-files -z --cached --others --exclude-standard |
        tar -C "$src" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$copy" -xf -
else
    tar -C "$src" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$copy" -xf -
fi
rm -f "$out"/larch*_"$version"_*.deb "$out"/larch_"$version"_*.changes "$out"/larch_"$version"_*.buildinfo
export DEB_BUILD_OPTIONS="parallel=2 noautodbgsym ${DEB_BUILD_OPTIONS:-}"
# A check build ships no debug symbols (noautodbgsym), so it compiles line
# tables only: a third less compile time, same code (set the variables to
# build with Debian's full -g).
export DEB_CFLAGS_APPEND=${DEB_CFLAGS_APPEND--g1} DEB_CXXFLAGS_APPEND=${DEB_CXXFLAGS_APPEND--g1}
# ccache when installed. debhelper (compat 13) points HOME at a scratch
# directory during the build, where ccache would find an empty cache: name
# the real one.
if [ -d /usr/lib/ccache ] && command -v ccache >/dev/null; then
    export PATH=/usr/lib/ccache:$PATH
    CCACHE_DIR=${CCACHE_DIR:-$(ccache -k cache_dir)}
    export CCACHE_DIR
fi
echo "building $version in $copy (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"
(cd "$copy" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
    { grep -v '^\[[0-9]*/[0-9]*\] ' "$work/build.log" | cut -c1-300 | tail -n 30 >&2   # not ninja's command lines
      fail "dpkg-buildpackage failed (whole log: $work/build.log)"; }
mv "$work/src"/*.deb "$work/src"/*.changes "$work/src"/*.buildinfo "$out"/
changes=$(ls "$out"/larch_"$version"_*.changes)
debs=("$out"/larch*_"$version"_*.deb)
echo "packages in $out:"
du -h "${debs[@]}" | sed 's/^/   /'

phase lintian
# Errors fail the check; warnings and the rest are shown for the record.
lintian_rc=0
lintian --fail-on error --display-info "$changes" >"$work/lintian.txt" 2>&1 || lintian_rc=$?
sed 's/^/   /' "$work/lintian.txt"
echo "lintian: $(grep -c '^E:' "$work/lintian.txt" || true) errors, $(grep -c '^W:' "$work/lintian.txt" || true) warnings," \
     "$(grep -c '^I:' "$work/lintian.txt" || true) infos"
[ "$lintian_rc" -eq 0 ] || fail "lintian reports errors (exit $lintian_rc)"

phase install
preinstalled=$(dpkg-query -W -f '${db:Status-Status} ${Package}\n' larch larch-boot 2>/dev/null | awk '$1 == "installed" { print $2 }' || true)
purge() {
    if [ "${LARCH_PACKAGE_KEEP:-0}" != 1 ] && [ -z "$preinstalled" ]; then
        echo "check-package: removing the packages again (LARCH_PACKAGE_KEEP=1 keeps them)"
        apt-get purge -y -q larch-boot larch >/dev/null 2>&1 || echo "check-package: apt-get purge failed" >&2
    fi
}
trap purge EXIT
apt-get install -y -q "${debs[@]}" >"$work/install.log" 2>&1 ||
    { tail -n 30 "$work/install.log" >&2; fail "apt-get install failed (log: $work/install.log)"; }
echo "installed: $(dpkg-query -W -f '${Package} ${Version}, ' larch larch-boot)"

phase check
got=$(/usr/bin/larch --version) || fail "/usr/bin/larch --version failed"
[ "$got" = "larch $upstream" ] || fail "/usr/bin/larch --version says '$got', not 'larch $upstream'"
echo "/usr/bin/larch --version: $got"
for f in /usr/bin/larch-prepare-root /usr/libexec/larch/larch-health /etc/grub.d/09_larch \
         /usr/share/initramfs-tools/hooks/larch /usr/share/initramfs-tools/scripts/local-bottom/larch; do
    [ -x "$f" ] || fail "$f is not installed or not executable"
done
# dh_compress gzips the documents: README.md arrives as README.md.gz.
for f in /usr/lib/dracut/modules.d/90larch/module-setup.sh /usr/share/larch/uboot/boot.cmd /usr/share/doc/larch/README.md \
         /usr/share/doc/larch/boot.md /usr/share/doc/larch-boot/copyright; do
    [ -e "$f" ] || [ -e "$f.gz" ] || fail "$f (or $f.gz) is not installed"
done
if compgen -G "$src/docs/man/*.1" >/dev/null; then
    page=$(man -w larch 2>&1) || fail "man -w larch finds no page: $page"
    echo "man -w larch: $page"
else
    echo "no man pages in docs/man yet: man -w not checked"
fi
if [ -e "$src/tools/completion/larch.bash" ]; then
    [ -e /usr/share/bash-completion/completions/larch ] || fail "the bash completion is not installed"
    bash -n /usr/share/bash-completion/completions/larch || fail "the installed bash completion does not parse"
fi
echo "installed files:"
dpkg -L larch larch-boot | sort -u | while read -r f; do [ -d "$f" ] || echo "   $f"; done

phase demo
LARCH=/usr/bin/larch LARCH_PREPARE_ROOT=/usr/bin/larch-prepare-root LARCH_HEALTH=/usr/libexec/larch/larch-health \
    bash "$src/tools/demo.sh" --no-setup >"$work/demo.log" 2>&1 ||
    { tail -n 30 "$work/demo.log" >&2; fail "the demo failed with the installed binaries (log: $work/demo.log)"; }
tail -n 1 "$work/demo.log"

phase end
printf '\n== check-package: passed (%s)\n' "$version"
printf '   %s\n' "${timings[@]}"
echo "   packages: $out"
