#!/usr/bin/env bash
# The real-client matrix, part 3: Node.js's tls (peers/nodeclient.js) against
# `parley server` and `parley proxy`, TLS 1.3 and 1.2, plus a
# HelloRetryRequest row each; a second connection from the same process
# resumes.
# Checks: real_clients.sh. Exit 77 (skip) only when a client's package is missing.
source "$(dirname "$0")/lib.sh" "$@"
source "$HERE/real_clients.sh"
start_peers

if have node node; then
    for role in server proxy; do
        for ver in 1.3 1.2; do row node "$role" "$ver" no yes; done
        row node "$role" 1.3 yes yes
    done
fi

finish_matrix
