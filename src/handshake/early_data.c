/* early_data.c - what both roles share of 0-RTT (RFC 8446 2.3, 4.2.10):
 * the status the application reads. The server's side is in
 * early_data_server.c, the client's in early_client.c. */
#include "../internal.h"

int parley_conn_early_data_status(const parley_conn *c) { return c->early_status; }
