#!/usr/bin/env bash
# The real-client matrix, part 4: Go's crypto/tls (peers/goclient, built
# offline) against `parley server` and `parley proxy`, TLS 1.3 and 1.2, plus a
# HelloRetryRequest row each; a second connection from the same process
# offers the session. Known exceptions, each asserted as what truly happens:
# Go before 1.21 sends no extended_master_secret, so Parley never resumes its
# TLS 1.2 sessions (RFC 7627 5.3); Go 1.19.6-1.19.8/1.20.1-1.20.3 get the PSK
# binder wrong after a HelloRetryRequest (golang/go#59424). Checks:
# real_clients.sh. Exit 77 (skip) only when Go is not installed.
source "$(dirname "$0")/lib.sh" "$@"
source "$HERE/real_clients.sh"
start_peers

if have go go; then
    if ! build_goclient; then
        bad "go client: does not build offline"; cat "$WORK/gobuild.log"
    else
        read -r gminor gpatch < <(go_vers)
        gpatch=${gpatch:-0}
        for role in server proxy; do
            row go "$role" 1.3 no yes
            # RFC 7627 5.3: no EMS, no resumption (Parley issues no id or ticket).
            if [ "$gminor" -ge 21 ]; then
                row go "$role" 1.2 no yes
            else
                row go "$role" 1.2 no no "Go 1.$gminor sends no extended_master_secret: RFC 7627 5.3, no session kept"
            fi
            if { [ "$gminor" -eq 19 ] && [ "$gpatch" -ge 6 ] && [ "$gpatch" -le 8 ]; } ||
                { [ "$gminor" -eq 20 ] && [ "$gpatch" -ge 1 ] && [ "$gpatch" -le 3 ]; }; then
                row_go_binder "$role"
            else
                row go "$role" 1.3 yes yes
            fi
        done
    fi
fi
finish_matrix
