# shellcheck shell=bash
# Bash completion for larch: verbs, sub-verbs, the options of the verb being
# typed, option values (files, refs, remotes, fixed choices) and positional
# arguments (refs, remotes, files).
#
# Verbs and options are read from `larch [VERB...] --help` when completing,
# so they are never out of date with the binary (CLI11's help layout:
# "Options:", "Positionals:" and "Subcommands:" sections, the name and type
# of an option in the first 30 columns). Refs come from `larch refs` and
# remotes from `larch remote list` of the store the command line names
# (--repo, else --sysroot's ostree/repo for admin verbs, else $LARCH_REPO,
# else .). Installed as share/bash-completion/completions/larch.
# Tested by tests/integration/test-completion.sh.

# Help text of "larch WORDS... --help", cached per binary and verb for the
# life of the shell (a binary rebuilt in between shows new options only in a
# new shell, as with any cache; clear _larch_help_cache to refresh).
declare -gA _larch_help_cache

# _larch_cache fills the cache; call it in the completion's own shell, not in
# $(...), whose assignments die with the subshell.
_larch_cache() {
    local key="$_larch_bin $*"
    [[ -n ${_larch_help_cache[$key]+set} ]] || _larch_help_cache[$key]=$("$_larch_bin" "$@" --help 2>/dev/null)
}

_larch_help() {
    local key="$_larch_bin $*"
    if [[ -n ${_larch_help_cache[$key]+set} ]]; then
        printf '%s\n' "${_larch_help_cache[$key]}"
    else
        "$_larch_bin" "$@" --help 2>/dev/null
    fi
}

# Lines of one section ("Options", "Positionals", "Subcommands") of a help.
_larch_section() {
    awk -v want="$1:" '$0 == want { on = 1; next } /^[^ ]/ { on = 0 } on && NF' 
}

_larch_subcommands() { _larch_help "$@" | _larch_section Subcommands | awk '{ print $1 }'; }

# Option names, one per line ("-b", "--branch").
_larch_options() {
    _larch_help "$@" | _larch_section Options |
        awk '{ n = split($1, names, ","); for (i = 1; i <= n; i++) if (names[i] ~ /^-/) print names[i] }'
}

# The help line of option $1 of verb $2..., or nothing.
_larch_option_line() {
    local opt=$1; shift
    _larch_help "$@" | _larch_section Options |
        awk -v opt="$opt" '{ n = split($1, names, ","); for (i = 1; i <= n; i++) if (names[i] == opt) { print; exit } }'
}

# Whether option $1 of verb $2... takes a value: a type follows its names
# ("--repo TEXT"); a flag has none, or only "Excludes: ..." / "Needs: ...".
_larch_takes_value() {
    local line
    line=$(_larch_option_line "$@")
    [[ -n $line ]] || return 1
    local -a fields
    read -ra fields <<<"$line"
    [[ ${#fields[@]} -gt 1 && ${fields[1]} != Excludes: && ${fields[1]} != Needs: && ${line:2:28} == *"${fields[1]}"* ]]
}

# Positional names of verb $@, in order ("REV", "PATH").
_larch_positionals() { _larch_help "$@" | _larch_section Positionals | awk '{ print $1 }'; }

# The store the command line names, as larch itself would choose it.
_larch_store() {
    local i repo="" sysroot=""
    for ((i = 1; i < ${#_larch_words[@]}; i++)); do
        case ${_larch_words[i]} in
            --repo) repo=${_larch_words[i + 1]} ;;
            --repo=*) repo=${_larch_words[i]#--repo=} ;;
            --sysroot) sysroot=${_larch_words[i + 1]} ;;
            --sysroot=*) sysroot=${_larch_words[i]#--sysroot=} ;;
        esac
    done
    if [[ -n $repo ]]; then
        printf '%s\n' "$repo"
    elif [[ ${_larch_path[0]} == admin ]]; then
        printf '%s\n' "${sysroot:-/}/ostree/repo"
    else
        printf '%s\n' "${LARCH_REPO:-.}"
    fi
}

_larch_refs() { "$_larch_bin" --repo "$(_larch_store)" refs 2>/dev/null | awk '{ print $2 }'; }
_larch_remotes() { "$_larch_bin" --repo "$(_larch_store)" remote list 2>/dev/null | awk '{ print $1 }'; }

# Candidates for the value of option $1 (of the verb in _larch_path), into
# _larch_candidates, or _larch_files=1 for file names. (Not printed: a
# subshell would lose _larch_files.)
_larch_option_values() {
    local line choices
    line=$(_larch_option_line "$1" "${_larch_path[@]}")
    [[ -n $line ]] || line=$(_larch_option_line "$1")  # --repo after the verb
    choices=$(sed -n 's/.*:{\([^}]*\)}.*/\1/p' <<<"${line:0:30}")
    if [[ -n $choices ]]; then
        _larch_candidates=${choices//,/ }
        return
    fi
    case $1 in
        --remote) _larch_candidates=$(_larch_remotes) ;;
        --from | --to | --ref | -b | --branch) _larch_candidates=$(_larch_refs) ;;
        --repo | --sysroot | --tree | -o | --output | --keyring | --bundle | --ca-file | --client-cert | \
            --client-key | --cmdline | --sign-key | -k | --key) _larch_files=1 ;;
    esac
}

# Candidates for positional argument $1 (its name in the help, any case), as
# _larch_option_values gives them.
_larch_positional_values() {
    case ${1^^} in
        REV | REVISION | FROM | TO) _larch_candidates=$(_larch_refs) ;;
        REMOTE) _larch_candidates=$(_larch_remotes) ;;
        NAME) [[ ${_larch_path[0]} == remote && ${_larch_path[1]} != add ]] && _larch_candidates=$(_larch_remotes) ;;
        TARGET | FILE | DIR | OUT) _larch_files=1 ;;
        # cat and ls: a path inside the commit, not here; init-fs: a directory here.
        PATH) [[ ${_larch_path[0]} == admin ]] && _larch_files=1 ;;
    esac
    return 0
}

_larch() {
    local _larch_bin=${COMP_WORDS[0]}
    local -a _larch_words _larch_path=()
    local _larch_files=0 cur line
    # Words from the line itself, not COMP_WORDS: bash splits "origin:os/stable"
    # at the colon (COMP_WORDBREAKS), and refs are named like that.
    line=${COMP_LINE:0:COMP_POINT}
    read -ra _larch_words <<<"$line"
    if [[ $line == *[[:space:]] || ${#_larch_words[@]} -eq 0 ]]; then
        cur=""
    else
        cur=${_larch_words[-1]}
        unset '_larch_words[-1]'
    fi
    _larch_bin=${_larch_words[0]:-$_larch_bin}
    _larch_bin=${_larch_bin/#\~/$HOME}

    # Walk the typed words: verbs deepen the path; an option that takes a
    # value swallows the next word; other words are positionals.
    local i word positional=0 value_of=""
    _larch_cache
    for ((i = 1; i < ${#_larch_words[@]}; i++)); do
        word=${_larch_words[i]}
        if [[ -n $value_of ]]; then
            value_of=""
        elif [[ $word == -* ]]; then
            if [[ $word != *=* ]] && { _larch_takes_value "$word" "${_larch_path[@]}" || _larch_takes_value "$word"; }; then
                value_of=$word
            fi
        elif [[ $positional -eq 0 ]] && _larch_subcommands "${_larch_path[@]}" | grep -qxF -- "$word"; then
            _larch_path+=("$word")
            _larch_cache "${_larch_path[@]}"
        else
            positional=$((positional + 1))
        fi
    done

    local _larch_candidates=""
    if [[ -n $value_of ]]; then
        _larch_option_values "$value_of"
    elif [[ $cur == -* ]]; then
        _larch_candidates=$(_larch_options "${_larch_path[@]}")
        [[ ${#_larch_path[@]} -gt 0 ]] && _larch_candidates+=$'\n--repo'
    elif [[ $positional -eq 0 ]] && [[ -n $(_larch_subcommands "${_larch_path[@]}") ]]; then
        _larch_candidates=$(_larch_subcommands "${_larch_path[@]}")
    else
        local -a names
        mapfile -t names < <(_larch_positionals "${_larch_path[@]}")
        [[ $positional -lt ${#names[@]} ]] && _larch_positional_values "${names[positional]}"
    fi

    COMPREPLY=()
    if [[ $_larch_files == 1 ]]; then
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        compopt -o filenames 2>/dev/null || true  # not when called outside completion (tests)
        return 0
    fi
    mapfile -t COMPREPLY < <(compgen -W "$_larch_candidates" -- "$cur")
    # Bash replaces only the part of the word after the last colon.
    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        local prefix=${cur%"${cur##*:}"}
        COMPREPLY=("${COMPREPLY[@]#"$prefix"}")
    fi
    return 0
}

complete -F _larch larch
