#!/usr/bin/env bash
# parley(1), made at build time from `parley --help` (scripts/help2man.py):
# groff renders it without a warning, man -l shows it, and the rendered text
# holds every subcommand and every long flag that --help names (compared as
# sets), spelt with ASCII hyphens (copied from the page, a flag works). A
# page made from a help text with one flag removed fails the same comparison
# (the negative control).
source "$(dirname "$0")/lib.sh" "$@"
SRC=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${2:-$(dirname "$PARLEY")}" && pwd)
PAGE=$BUILD/parley.1
require_cmds groff # package groff-base
[ -s "$PAGE" ] || { bad "no $PAGE: the build makes it (cmake/install.cmake, target parley_man)"; finish; exit; }

"$PARLEY" --help >"$WORK/help.txt"
# render PAGE OUT: the page as text, bold and underline taken out (grotty
# writes them as overstrikes or SGR sequences); warnings to OUT.err.
render() {
    groff -man -Tutf8 -ww "$1" 2>"$2.err" | sed 's/.\x08//g; s/\x1b\[[0-9;]*m//g' >"$2"
}
render "$PAGE" "$WORK/page.txt"
if [ -s "$WORK/page.txt" ] && [ ! -s "$WORK/page.txt.err" ]; then
    ok "groff -man -Tutf8 -ww renders parley.1 without a warning ($(wc -l <"$WORK/page.txt") lines)"
else
    bad "groff warns about parley.1:"; cat "$WORK/page.txt.err"
fi
if command -v man >/dev/null; then
    MANWIDTH=80 man -l "$PAGE" >"$WORK/man.txt" 2>"$WORK/man.err"
    check "man -l shows the page: NAME, SYNOPSIS and the option sections" "$WORK/man.txt" \
        '^NAME$' '^ +parley - TLS 1\.3 / TLS 1\.2 client and server' '^SYNOPSIS$' '^CLIENT OPTIONS$' \
        '^SERVER OPTIONS$' '^PROXY OPTIONS$' '^KEYSERVER OPTIONS$' '^VERIFY OPTIONS$' '^EXIT CODES$'
    [ -s "$WORK/man.err" ] && { bad "man -l says:"; cat "$WORK/man.err"; }
else
    echo "note: man not installed; groff's rendering is checked alone"
fi
check "the page carries the program's version" "$PAGE" "^\\.TH PARLEY 1 \"\" \"parley $("$PARLEY" --version | awk '{print $2}')\""

# flags FILE: every long flag in FILE, one a line, sorted.
flags() { grep -oE -- '--[a-z0-9][a-z0-9.-]*[a-z0-9]' "$1" | sort -u; }
# missing HELP PAGE_TEXT: the help's flags and subcommands the page lacks.
missing() {
    comm -23 <(flags "$1") <(flags "$2")
    sed -n 's/^  parley \([a-z]*\).*/\1/p' "$1" | sort -u | while read -r cmd; do
        grep -Eq "^ +parley $cmd( |\$)" "$2" || echo "subcommand $cmd"
    done
}
nflags=$(flags "$WORK/help.txt" | wc -l)
ncmds=$(sed -n 's/^  parley \([a-z]*\).*/\1/p' "$WORK/help.txt" | sort -u | wc -l)
[ "$nflags" -ge 60 ] && [ "$ncmds" -eq 5 ] || bad "--help names only $nflags flags and $ncmds subcommands: the parsing here is wrong"
missing "$WORK/help.txt" "$WORK/page.txt" >"$WORK/missing.txt"
if [ ! -s "$WORK/missing.txt" ]; then
    ok "all $nflags long flags and $ncmds subcommands of --help are on the rendered page"
else
    bad "the page lacks: $(tr '\n' ' ' <"$WORK/missing.txt")"
fi
# Nothing on the page that --help does not have either (an escaping slip
# would make a flag out of two).
comm -13 <(flags "$WORK/help.txt") <(flags "$WORK/page.txt") >"$WORK/extra.txt"
[ ! -s "$WORK/extra.txt" ] && ok "the page names no flag that --help does not" ||
    bad "flags on the page but not in --help: $(tr '\n' ' ' <"$WORK/extra.txt")"

# Negative control: a help text without --idle-timeout makes a page without
# it, and the comparison with the real help names exactly that flag.
grep -v -- '--idle-timeout' "$WORK/help.txt" >"$WORK/help-cut.txt"
python3 "$SRC/scripts/help2man.py" --help-file "$WORK/help-cut.txt" --version 0 -o "$WORK/cut.1"
render "$WORK/cut.1" "$WORK/cut.txt"
missing "$WORK/help.txt" "$WORK/cut.txt" >"$WORK/cut-missing.txt"
check "negative control: a page without --idle-timeout is caught" "$WORK/cut-missing.txt" '^--idle-timeout$'
[ "$(wc -l <"$WORK/cut-missing.txt")" -eq 1 ] && ok "negative control: only that flag is missing" ||
    bad "negative control: $(tr '\n' ' ' <"$WORK/cut-missing.txt")"

# The page made now from this program equals the built one (it is not stale).
python3 "$SRC/scripts/help2man.py" --program "$PARLEY" -o "$WORK/fresh.1"
cmp -s "$WORK/fresh.1" "$PAGE" && ok "the built page is the one --help makes now" || bad "$PAGE is stale: rebuild"
finish
