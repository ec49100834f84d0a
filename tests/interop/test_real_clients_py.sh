#!/usr/bin/env bash
# The real-client matrix, part 2: Python's ssl (peers/pyclient.py) against
# `parley server` and `parley proxy`, TLS 1.3 and 1.2, plus a
# HelloRetryRequest row each; a second connection from the same process
# resumes. Then the negative controls.
# Checks: real_clients.sh. Exit 77 (skip) only when a client's package is missing.
source "$(dirname "$0")/lib.sh" "$@"
source "$HERE/real_clients.sh"
start_peers

if have python python3; then
    for role in server proxy; do
        for ver in 1.3 1.2; do row python "$role" "$ver" no yes; done
        row python "$role" 1.3 yes yes
    done
fi

# Negative controls: a server that cannot resume, and one that sends no HRR.
if have python python3; then
    control_row "a session not resumed" 'conn2: client did not reuse the session.*conn2: server did not resume' \
        python server 1.3 no yes
    control_row "a HelloRetryRequest not sent" '0 HelloRetryRequests in the server.s trace for 2 connections' \
        python server 1.3 yes no "control"
fi
finish_matrix
