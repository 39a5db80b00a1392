#!/bin/bash
# bench-verify.sh [--write-docs] - how long verifying a commit's signatures
# takes, Larch against OSTree, in one run:
#
#   in process    larch-bench-verify: Ed25519 floor, CheckSignatures with
#                 1/2/3 signatures, the full install check (median and p99
#                 per verification, in µs); target: well under 1 ms
#   command line  `larch verify REV --keyring DIR` of a commit signed with
#                 Ed25519, against `ostree show --gpg-verify-remote=REMOTE REV`
#                 of a commit GPG-signed with an Ed25519 OpenPGP key
#                 (wall time per invocation, median of 30); also OSTree's
#                 enforcing path, `ostree pull-local --commit-metadata-only
#                 --gpg-verify`, into a fresh repo each run
#
# This OSTree (Debian 2022.7) has no ed25519 `ostree sign` ("Requested
# signature type is not implemented"), so GPG is its only signature; the
# OpenPGP key is Ed25519 too. Every timed run is checked afterwards: larch
# said "signatures ok", OSTree said "Good signature"; and before timing, a
# commit signed by a key outside the keyring must fail for both.
#
# --write-docs   also write the results into docs/benchmarks.md, section
#                "Signature verification (issue 3)" (replaced if present)
#
# Env: LARCH (default build/tools/larch), LARCH_BENCH_VERIFY (default
# build/tools/larch-bench-verify), BENCH_RUNS (default 30). Builds nothing.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=bench-verify
# shellcheck source=lib.sh
source "$src/tools/bench/lib.sh"
LARCH=${LARCH:-$src/build/tools/larch}
LARCH_BENCH_VERIFY=${LARCH_BENCH_VERIFY:-$src/build/tools/larch-bench-verify}
runs=${BENCH_RUNS:-30}
write_docs=0
for arg in "$@"; do
    case $arg in
        --write-docs) write_docs=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: $0 [--write-docs]" >&2; exit 2 ;;
    esac
done


for tool in ostree gpg gpgconf python3; do
    command -v "$tool" >/dev/null || die "$tool not installed (run tools/setup.sh)"
done
[ -x "$LARCH" ] || die "no larch binary at $LARCH (build it, or set LARCH)"
[ -x "$LARCH_BENCH_VERIFY" ] || die "no larch-bench-verify at $LARCH_BENCH_VERIFY (build it, or set LARCH_BENCH_VERIFY)"

work=$(mktemp -d /var/tmp/larch-bench-verify.XXXXXX)
export GNUPGHOME=$work/gnupg-signer
cleanup() {
    # gpg starts an agent per home directory it signs from; stop ours.
    local home
    for home in "$work"/gnupg-*; do
        [ -d "$home" ] && gpgconf --homedir "$home" --kill gpg-agent 2>/dev/null || true
    done
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# quiet CMD...: run CMD without its chatter; show its output only if it fails.

# timed OUT CMD...: run CMD with its output in OUT, print its wall-clock
# milliseconds. $EPOCHREALTIME needs no fork, so the clock is not charged
# for starting `date`. A failing run is fatal: its time would mean nothing.
timed() {
    local out=$1 s e
    shift
    s=$EPOCHREALTIME
    "$@" >"$out" 2>&1 || { cat "$out" >&2; die "failed: $*"; }
    e=$EPOCHREALTIME
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f\n", (e - s) * 1000 }'
}


load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------ in process
log "in process: $LARCH_BENCH_VERIFY"
"$LARCH_BENCH_VERIFY" --json >"$work/inproc.json" || die "larch-bench-verify failed"

# ------------------------------------------------------------------ fixtures
# One small tree; both tools commit it and sign the commit with one key. A
# second commit, signed by a key the verifier does not trust, must fail.
mkdir -p "$work/tree/etc"
echo "bench" >"$work/tree/etc/hostname"
echo "other" >"$work/tree/etc/motd"

log "larch: store, keys, signed commits"
L() { "$LARCH" --repo "$work/larch-repo" "$@"; }
quiet L init --mode archive
quiet L commit --branch os/stable --tree "$work/tree" -s bench --version 1.0
quiet L commit --branch os/other --tree "$work/tree" -s other --version 1.0 --metadata note=other
mkdir "$work/keyring"
quiet "$LARCH" key generate --output "$work/keyring/trusted"
quiet "$LARCH" key generate --output "$work/untrusted"
mv "$work/keyring/trusted.key" "$work/trusted.key"   # the keyring holds public keys only
quiet L sign os/stable --key "$work/trusted.key"
quiet L sign os/other --key "$work/untrusted.key"
# Both tools are given the full commit id, so neither resolves a ref.
larch_commit=$(L refs | awk '$2 == "os/stable" { print $1 }')
[ -n "$larch_commit" ] || die "larch refs does not list os/stable"
larch_verify=(L verify "$larch_commit" --keyring "$work/keyring")

log "ostree: GPG keys (Ed25519), repo, signed commits, remote keyring"
mkdir -m 700 "$work/gnupg-signer" "$work/gnupg-other"
gen_key() {   # gen_key HOME UID -> prints the fingerprint
    quiet gpg --homedir "$1" --batch --passphrase '' --quick-gen-key "$2" ed25519 sign never
    gpg --homedir "$1" --list-keys --with-colons 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }'
}
fpr=$(gen_key "$work/gnupg-signer" 'bench <bench@invalid>')
fpr_other=$(gen_key "$work/gnupg-other" 'other <other@invalid>')
gpg --homedir "$work/gnupg-signer" --export "$fpr" >"$work/trusted.gpg"
O() { ostree --repo="$work/ostree-repo" "$@"; }
quiet O init --mode=archive
quiet O commit --branch=os/stable --tree=dir="$work/tree" -s bench
quiet O commit --branch=os/other --tree=dir="$work/tree" -s other --add-metadata-string=note=other
quiet O gpg-sign --gpg-homedir="$work/gnupg-signer" os/stable "$fpr"
quiet O gpg-sign --gpg-homedir="$work/gnupg-other" os/other "$fpr_other"
# The verifier's keyring is the remote's: ostree keeps it in the repo as
# <remote>.trustedkeys.gpg, apart from any GnuPG home directory.
quiet O remote add --set=gpg-verify=true bench file:///nonexistent
quiet O remote gpg-import --keyring="$work/trusted.gpg" bench
ostree_commit=$(O rev-parse os/stable)
ostree_other=$(O rev-parse os/other)
ostree_show=(O show --gpg-verify-remote=bench "$ostree_commit")

# pull_dest N: a fresh repo that trusts the same key, for one enforcing run.
pull_dest() {
    local d=$work/ostree-dst-$1
    quiet ostree --repo="$d" init --mode=archive
    quiet ostree --repo="$d" remote add --set=gpg-verify=true bench file:///nonexistent
    quiet ostree --repo="$d" remote gpg-import --keyring="$work/trusted.gpg" bench
    echo "$d"
}
ostree_pull() {   # ostree_pull DEST COMMIT
    ostree --repo="$1" pull-local --commit-metadata-only --gpg-verify --remote=bench "$work/ostree-repo" "$2"
}

# ------------------------------------------------------------------ checks
# Each command must really verify: say so for the trusted key, refuse (or,
# for `ostree show`, which exits 0 whatever it finds, not say "Good") for
# another key.
log "checking that each command really verifies"
"${larch_verify[@]}" >"$work/out" 2>&1 || { cat "$work/out" >&2; die "larch verify failed on a good commit"; }
grep -q "signatures ok" "$work/out" || die "larch verify did not say 'signatures ok'"
if L verify os/other --keyring "$work/keyring" >"$work/out" 2>&1; then
    die "larch verify accepted a commit signed by an untrusted key"
fi
grep -q "not in keyring" "$work/out" || die "larch verify refused the untrusted commit for another reason"

"${ostree_show[@]}" >"$work/out" 2>&1 || { cat "$work/out" >&2; die "ostree show failed"; }
grep -q "Good signature" "$work/out" || { cat "$work/out" >&2; die "ostree show did not find a good signature"; }
O show --gpg-verify-remote=bench "$ostree_other" >"$work/out" 2>&1 || true
if grep -q "Good signature" "$work/out"; then die "ostree show called another key's signature good"; fi
grep -q "public key not found" "$work/out" || { cat "$work/out" >&2; die "ostree show did not report the unknown key"; }

d=$(pull_dest check)
quiet ostree_pull "$d" "$ostree_commit" || die "ostree pull-local --gpg-verify refused the good commit"
d=$(pull_dest check-other)
if ostree_pull "$d" "$ostree_other" >"$work/out" 2>&1; then
    die "ostree pull-local --gpg-verify accepted a commit signed by an untrusted key"
fi
grep -q "public key not found" "$work/out" || { cat "$work/out" >&2; die "ostree pull-local refused for another reason"; }

# ------------------------------------------------------------------ timing
# Interleaved, one of each per round, so a busy moment on the machine falls
# on all three alike. One untimed run of each first warms the page cache.
log "command line: $runs rounds of larch verify, ostree show, ostree pull-local"
quiet "${larch_verify[@]}"
quiet "${ostree_show[@]}"
t_larch=() t_show=() t_pull=()
for i in $(seq "$runs"); do
    t_larch+=("$(timed "$work/larch-$i.out" "${larch_verify[@]}")")
    t_show+=("$(timed "$work/show-$i.out" "${ostree_show[@]}")")
    d=$(pull_dest "$i")
    t_pull+=("$(timed "$work/pull-$i.out" ostree_pull "$d" "$ostree_commit")")
    rm -rf "$d"
done
for i in $(seq "$runs"); do
    grep -q "signatures ok" "$work/larch-$i.out" || die "larch verify run $i did not verify"
    grep -q "Good signature" "$work/show-$i.out" || die "ostree show run $i did not verify"
done
m_larch=$(median "${t_larch[@]}")
m_show=$(median "${t_show[@]}")
m_pull=$(median "${t_pull[@]}")

# ------------------------------------------------------------------ report
machine="$(nproc) cores, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r), $(df -T "$work" | awk 'NR == 2 { print $2 }') on /var/tmp"
ostree_version=$(ostree --version | awk -F"'" '/Version/ { print $2; exit }')
openssl_version=$(openssl version 2>/dev/null | awk '{ print $2 }' || echo unknown)
gpg_version=$(gpg --version | awk 'NR == 1 { print $3 }')
larch_version=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)

inproc_table() {
    python3 - "$work/inproc.json" "${load_at_start%% *}" "$(nproc)" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print("| case | what | median µs | p99 µs | CPU µs |")
print("|---|---|---:|---:|---:|")
for c in r["cases"]:
    print(f"| {c['name']} | {c['what']} | {c['median_us']:.0f} | {c['p99_us']:.0f} | {c['cpu_median_us']:.0f} |")
print()
installs = [c for c in r["cases"] if c["name"].startswith("install-")]
slowest = max(installs, key=lambda c: c["cpu_median_us"])
def verdict(us): return "met" if us < 1000 else "NOT met"
print(f"Target: verifying a commit for installation takes well under 1 ms. Slowest case, "
      f"{slowest['name']}: {slowest['cpu_median_us']:.0f} µs of CPU ({verdict(slowest['cpu_median_us'])}), "
      f"{slowest['median_us']:.0f} µs wall median ({verdict(slowest['median_us'])}); wall time includes "
      f"waiting for a CPU (load average at start {sys.argv[2]} on {sys.argv[3]} cores). "
      f"{r['batches']} batches of {r['batch']} per case after warm-up; median and p99 of the batch "
      f"means in wall time, median in thread CPU time.")
EOF
}

cli_table() {
    echo "| command line, wall time per invocation (ms, median of $runs) | ostree $ostree_version | larch ($larch_version) | larch/ostree |"
    echo "|---|---:|---:|---:|"
    echo "| verify and print a commit's signature: \`ostree show --gpg-verify-remote\` / \`larch verify --keyring\` | $m_show | $m_larch | $(ratio "$m_larch" "$m_show") |"
    echo "| OSTree's enforcing path: \`ostree pull-local --commit-metadata-only --gpg-verify\` / \`larch verify --keyring\` | $m_pull | $m_larch | $(ratio "$m_larch" "$m_pull") |"
}

details() {
    echo "- Date: $(date -u +%Y-%m-%d)"
    echo "- Machine: $machine; load average at start $load_at_start"
    echo "- Versions: OpenSSL $openssl_version (larch), GnuPG $gpg_version through GPGME (ostree)"
    echo "- larch runs (ms): ${t_larch[*]}"
    echo "- ostree show runs (ms): ${t_show[*]}"
    echo "- ostree pull-local runs (ms): ${t_pull[*]}"
    echo "- Commands: \`larch --repo R verify COMMIT --keyring DIR\` (one Ed25519 key, threshold 1);"
    echo "  \`ostree --repo=R show --gpg-verify-remote=bench COMMIT\` (remote \`bench\` with gpg-verify=true,"
    echo "  its keyring from \`ostree remote gpg-import\`; one Ed25519 OpenPGP key);"
    echo "  \`ostree --repo=FRESH pull-local --commit-metadata-only --gpg-verify --remote=bench R COMMIT\`"
    echo "- Checked: every timed run said \"signatures ok\" / \"Good signature\"; a commit signed by"
    echo "  another key is refused by \`larch verify\` and \`ostree pull-local\`, and \`ostree show\` reports"
    echo "  \"public key not found\" for it (it exits 0 whatever it finds)"
    echo "- Command: \`tools/bench/bench-verify.sh --write-docs\` (method: tools/bench/README.md)"
}

report() {
    echo "In process, Larch alone (larch-bench-verify, real OpenSSL and a real SQLite trust state):"
    echo
    inproc_table
    echo
    echo "On the command line, Larch against OSTree in the same run on the same machine. Most"
    echo "of either figure is starting the process; OSTree also runs gpg through GPGME."
    echo
    cli_table
    echo
    details
}

echo
report

if [ "$write_docs" = 1 ]; then
    write_docs_section "Signature verification (issue 3)" report
fi
