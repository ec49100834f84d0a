/*
 * https_get.c - the smallest useful libparley client, using only the public
 * API (<parley/parley.h>): connect, handshake, send a GET, print the
 * response's status line and what was negotiated.
 *
 *   https_get HOST PORT [PATH] [CAFILE]
 *
 * Prints "status: <status line>", "protocol: <TLSv1.3|TLSv1.2>" and
 * "cipher: <suite>". Exit 0 when a status line came back, 1 on a usage
 * error, 2 when the connection or handshake failed.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <parley/parley.h>

/* A connected TCP socket to host:port, or -1. */
static int tcp_connect(const char *host, const char *port)
{
    struct addrinfo hints = {0}, *res, *ai;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0) return -1;
    int fd = -1;
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: %s HOST PORT [PATH] [CAFILE]\n", argv[0]);
        return 1;
    }
    const char *host = argv[1], *port = argv[2];
    const char *path = argc > 3 ? argv[3] : "/";
    const char *cafile = argc > 4 ? argv[4] : NULL;

    /* One config, built before the first connection uses (and freezes) it.
     * Without a CA file the system's trust store is used. */
    parley_config *cfg = parley_config_new();
    if (!cfg) return 2;
    if (cafile && parley_config_set_ca_file(cfg, cafile) != PARLEY_OK) {
        fprintf(stderr, "error: %s\n", parley_config_error_string(cfg));
        parley_config_free(cfg);
        return 2;
    }

    int fd = tcp_connect(host, port);
    if (fd < 0) {
        fprintf(stderr, "error: cannot connect to %s:%s\n", host, port);
        parley_config_free(cfg);
        return 2;
    }
    /* The host name is sent as SNI and is the name the certificate must hold. */
    parley_conn *conn = parley_conn_new_client(cfg, host);
    if (!conn) {
        close(fd);
        parley_config_free(cfg);
        return 2;
    }
    parley_conn_set_fd(conn, fd); /* blocking socket: each call runs to completion */

    int rc = 2;
    char req[1024];
    int reqlen = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host);
    if (parley_fd_handshake(conn) != PARLEY_OK) {
        fprintf(stderr, "error: %s\n", parley_conn_error_string(conn));
    } else if (reqlen < 0 || (size_t)reqlen >= sizeof req ||
               parley_fd_write(conn, (const uint8_t *)req, (size_t)reqlen) != PARLEY_OK) {
        fprintf(stderr, "error: cannot send the request: %s\n", parley_conn_error_string(conn));
    } else {
        /* Read until the first line of the response is whole. */
        char resp[4096];
        size_t have = 0, n;
        while (have < sizeof resp - 1 && !memchr(resp, '\n', have) &&
               parley_fd_read(conn, (uint8_t *)resp + have, sizeof resp - 1 - have, &n) == PARLEY_OK)
            have += n;
        resp[have] = 0;
        char *eol = strpbrk(resp, "\r\n");
        if (eol) *eol = 0;
        if (have && eol) {
            printf("status: %s\n", resp);
            rc = 0;
        } else {
            fprintf(stderr, "error: no status line (%s)\n", parley_conn_error_string(conn));
        }
        printf("protocol: %s\n", parley_version_name(parley_conn_version(conn)));
        printf("cipher: %s\n", parley_cipher_name(parley_conn_cipher(conn)));
        parley_fd_close(conn); /* close_notify */
    }
    parley_conn_free(conn);
    close(fd);
    parley_config_free(cfg);
    return rc;
}
