#!/usr/bin/env bash
# The real-client matrix, part 1: curl, openssl s_client and gnutls-cli
# against `parley server` (its page) and `parley proxy` (in front
# of backend_http.py), TLS 1.3 and 1.2, plus a HelloRetryRequest row each; a
# second connection from the same client resumes. One line per row; the checks
# are in real_clients.sh. Parts 2-4: test_real_clients_py.sh (Python, the
# negative controls), test_real_clients_node.sh, test_real_clients_go.sh.
# Exit 77 (skip) only when a client's package is missing.
source "$(dirname "$0")/lib.sh" "$@"
source "$HERE/real_clients.sh"
start_peers

for c in curl:curl openssl:openssl gnutls:gnutls-cli; do
    have "${c%%:*}" "${c#*:}" || continue
    for role in server proxy; do
        for ver in 1.3 1.2; do row "${c%%:*}" "$role" "$ver" no yes; done
        row "${c%%:*}" "$role" 1.3 yes yes
    done
done
finish_matrix
