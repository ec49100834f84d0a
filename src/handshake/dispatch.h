/*
 * dispatch.h - declarative handshake tables (anchors.md 2-3).
 *
 * Each row is one state: the message it waits for (or 0 when it sends), the
 * handler, and the states the handler may move to. The dispatcher, not the
 * handler, rejects a message of the wrong type with unexpected_message before
 * any handler runs, and checks the handler chose an allowed next state.
 * Handlers return a wait code: OK, or KEY_OP when a private-key operation is
 * pending; the dispatcher itself returns READ when it needs bytes.
 */
#ifndef PL_DISPATCH_H
#define PL_DISPATCH_H

#include "../internal.h"

#define PL_ST_DONE 99
#define PL_MAX_NEXT 3

typedef int (*pl_hs_fn)(parley_conn *c, const uint8_t *msg, size_t len);

typedef struct {
    const char *name;
    uint8_t expect;       /* handshake type awaited, 0 for a sending state */
    uint8_t expect_alt;   /* a second acceptable type, or 0 */
    uint8_t own_transcript; /* handler adds the message to the transcript itself */
    pl_hs_fn fn;
    int next[PL_MAX_NEXT]; /* allowed next states; unused entries are 0 */
} pl_hs_row;

typedef struct {
    const char *role;
    const pl_hs_row *rows;
    size_t n;
} pl_hs_table;

extern const pl_hs_table pl_client13_table;
extern const pl_hs_table pl_server13_table;
extern const pl_hs_table pl_client12_table;
extern const pl_hs_table pl_server12_table;
/* Entry points from the TLS 1.3 hello handlers once 1.2 is chosen. */
struct pl_client_hello_s;
PL_MUST_CHECK int pl_client12_server_hello(parley_conn *c, const void *sh, const uint8_t *msg, size_t len);
PL_MUST_CHECK int pl_server12_client_hello(parley_conn *c, const void *ch, const uint8_t *msg, size_t len);
/* The TLS 1.2 server's table takes over once its ClientHello is decided. */
void pl_server12_enter(parley_conn *c);

PL_MUST_CHECK int pl_hs_run(parley_conn *c, const pl_hs_table *t);

#endif
