/*
 * io_fd.c - the thin socket layer over the sans-I/O core: the only file in
 * the library that touches a file descriptor. Blocking sockets: calls run
 * to completion. Non-blocking sockets: calls return WANT_READ / WANT_WRITE
 * and are simply called again when poll() says the socket is ready.
 */
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

size_t pl_conn_in_space(parley_conn *c, uint8_t **p);
void pl_conn_in_added(parley_conn *c, size_t n);

void parley_conn_set_fd(parley_conn *c, int fd) { c->fd = fd; }

int parley_fd_flush(parley_conn *c)
{
    while (c->out.len) {
        ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return PARLEY_WANT_WRITE;
        if (n <= 0) {
            if (!c->failed) {
                c->failed = PL_ERR_IO;
                pl_conn_set_error(c, "send failed: %s", n < 0 ? strerror(errno) : "connection closed");
            }
            return PARLEY_ERROR;
        }
        pl_buf_consume(&c->out, (size_t)n);
    }
    return PARLEY_OK;
}

/* Read from the socket into the record buffer: FILL_DATA when bytes were
 * added, FILL_EOF at end of stream, else WANT_READ or ERROR. */
enum { FILL_EOF = 100, FILL_DATA = 101 };
static int pl_fd_fill(parley_conn *c)
{
    uint8_t *p;
    size_t space = pl_conn_in_space(c, &p);
    if (space == 0 && !c->in) {
        c->failed = PL_ERR_INTERNAL;
        pl_conn_set_error(c, "out of memory for the record buffer");
        return PARLEY_ERROR;
    }
    if (space == 0) return FILL_DATA;
    for (;;) {
        ssize_t n = recv(c->fd, p, space, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return PARLEY_WANT_READ;
        if (n < 0) {
            c->failed = PL_ERR_IO;
            pl_conn_set_error(c, "receive failed: %s", strerror(errno));
            return PARLEY_ERROR;
        }
        if (n == 0) return FILL_EOF;
        pl_conn_in_added(c, (size_t)n);
        return FILL_DATA;
    }
}

int parley_fd_handshake(parley_conn *c)
{
    for (;;) {
        int rc = parley_conn_handshake(c);
        int fl = parley_fd_flush(c);
        if (rc == PARLEY_ERROR || fl == PARLEY_ERROR) return PARLEY_ERROR;
        if (fl == PARLEY_WANT_WRITE) return PARLEY_WANT_WRITE;
        if (rc != PARLEY_WANT_READ) return rc;
        int r = pl_fd_fill(c);
        if (r == PARLEY_WANT_READ || r == PARLEY_ERROR) return r;
        /* End of stream: the core fails the handshake on the next turn. */
        if (r == FILL_EOF) (void)parley_conn_recv_eof(c);
    }
}

int parley_fd_read(parley_conn *c, uint8_t *buf, size_t len, size_t *n)
{
    for (;;) {
        int rc = parley_conn_read(c, buf, len, n);
        int fl = parley_fd_flush(c); /* alerts, KeyUpdate answers */
        if (rc == PARLEY_ERROR || fl == PARLEY_ERROR) return PARLEY_ERROR;
        if (rc != PARLEY_WANT_READ) return rc;
        if (fl == PARLEY_WANT_WRITE) return PARLEY_WANT_WRITE;
        int r = pl_fd_fill(c);
        if (r == PARLEY_WANT_READ || r == PARLEY_ERROR) return r;
        /* End of stream: the core says CLOSED (close_notify came) or
         * TRUNCATED (it did not) once the buffered data is read. */
        if (r == FILL_EOF) (void)parley_conn_recv_eof(c);
    }
}

int parley_fd_write(parley_conn *c, const uint8_t *buf, size_t len)
{
    int rc = parley_conn_write(c, buf, len);
    if (rc != PARLEY_OK) {
        if (rc == PARLEY_ERROR) (void)parley_fd_flush(c);
        return rc;
    }
    return parley_fd_flush(c);
}

int parley_fd_close(parley_conn *c)
{
    (void)parley_conn_close(c);
    return parley_fd_flush(c);
}
