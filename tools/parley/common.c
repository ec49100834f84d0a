/* common.c - the trace ladder and small helpers for the parley program. */
#include "common.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/socket.h>
#include <poll.h>
#include <sys/resource.h>

static pthread_mutex_t tool_trace_lock = PTHREAD_MUTEX_INITIALIZER;

void tool_die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "parley: ");
    if (tool_die_where) fprintf(stderr, "%s: ", tool_die_where);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(TOOL_EXIT_USAGE);
}

int tool_split_hostport(const char *s, char *host, size_t hl, char *port, size_t pl)
{
    const char *colon;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':') return -1;
        snprintf(host, hl, "%.*s", (int)(end - s - 1), s + 1);
        snprintf(port, pl, "%s", end + 2);
        return 0;
    }
    colon = strrchr(s, ':');
    if (!colon || colon == s || !colon[1]) return -1;
    snprintf(host, hl, "%.*s", (int)(colon - s), s);
    snprintf(port, pl, "%s", colon + 1);
    return 0;
}

/*
 * The ladder: the client is on the left, the server on the right.
 *   C -> S  ClientHello (245 bytes)
 *           random: ...
 *   C <- S  ServerHello (90 bytes)
 *   ** keys  server handshake traffic (read)
 */
void tool_trace(void *arg, const parley_conn *conn, const parley_trace_event *ev)
{
    FILE *f = arg ? (FILE *)arg : stdout;
    int server = parley_conn_is_server(conn);
    const char *dir = "";
    void *ud = parley_conn_get_userdata(conn);
    char prefix[32] = "";
    if (ud) snprintf(prefix, sizeof prefix, "[%lu] ", (unsigned long)(uintptr_t)ud);
    switch (ev->kind) {
    case PARLEY_TRACE_MESSAGE_SENT:
    case PARLEY_TRACE_RECORD_SENT:
        dir = server ? "C <- S" : "C -> S";
        break;
    case PARLEY_TRACE_MESSAGE_RECEIVED:
    case PARLEY_TRACE_RECORD_RECEIVED:
        dir = server ? "C -> S" : "C <- S";
        break;
    case PARLEY_TRACE_KEYS:
        dir = "** keys";
        break;
    default:
        dir = "** info";
        break;
    }
    pthread_mutex_lock(&tool_trace_lock);
    const char *p = ev->detail;
    if (ev->length) fprintf(f, "%s%-7s %s (%zu bytes)\n", prefix, dir, ev->name, ev->length);
    else if (p && p[0] && ev->kind == PARLEY_TRACE_INFO) {
        /* A decision on one line; more lines (the certificates of a
         * compressed Certificate) indented below it. */
        int n = (int)strcspn(p, "\n");
        fprintf(f, "%s%-7s %s: %.*s\n", prefix, dir, ev->name, n, p);
        p += n;
        if (*p) p++;
    } else fprintf(f, "%s%-7s %s\n", prefix, dir, ev->name);
    if (p && p[0] && (ev->kind != PARLEY_TRACE_INFO || p != ev->detail)) {
        while (*p) {
            const char *nl = strchr(p, '\n');
            int n = nl ? (int)(nl - p) : (int)strlen(p);
            fprintf(f, "%s          %.*s\n", prefix, n, p);
            p += n;
            if (*p) p++;
        }
    }
    fflush(f);
    pthread_mutex_unlock(&tool_trace_lock);
}

const char *tool_group(const parley_conn *c)
{
    /* The summary line says what this connection exchanged (--help: "none
     * (resumed without a key exchange)"); the library reports a resumed TLS
     * 1.2 session's original group, which no exchange here produced. */
    if (parley_conn_resumed(c) && parley_conn_version(c) == PARLEY_TLS1_2) return "none";
    if (parley_conn_group(c)) return parley_group_name(parley_conn_group(c));
    return parley_conn_resumed(c) ? "none" : "rsa";
}

int tool_fit_descriptors(int max_conns, int reserve, const char *who)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)max_conns + (rlim_t)reserve;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need) return max_conns;
    rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
    if (want > rl.rlim_cur) {
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0) return max_conns;
    }
    if (rl.rlim_cur >= need) return max_conns;
    /* Under a small limit the reserve would leave next to nothing: half. */
    int fit = rl.rlim_cur > 2 * (rlim_t)reserve ? (int)(rl.rlim_cur - (rlim_t)reserve) : (int)(rl.rlim_cur / 2);
    if (fit < 1) fit = 1;
    fprintf(stderr, "%s: only %llu descriptors: --max-conns lowered from %d to %d\n", who,
            (unsigned long long)rl.rlim_cur, max_conns, fit);
    return fit;
}

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

void tool_linger_start(tool_linger *l, uint64_t now_ms, int ms)
{
    l->until_ms = now_ms + (uint64_t)(ms > 0 ? ms : 0);
    l->left = TOOL_LINGER_BYTES;
}

int tool_linger_read(tool_linger *l, long n)
{
    if (n <= 0) return 1;
    l->left = (size_t)n >= l->left ? 0 : l->left - (size_t)n;
    return l->left == 0;
}

int tool_linger_left_ms(const tool_linger *l, uint64_t now_ms)
{
    if (now_ms >= l->until_ms) return 0;
    uint64_t d = l->until_ms - now_ms;
    return d > INT_MAX ? INT_MAX : (int)d;
}

void tool_linger_drain(int fd, int ms)
{
    tool_linger l;
    tool_linger_start(&l, mono_ms(), ms);
    /* Not connected any more (the peer reset it): nothing to wait for. */
    if (shutdown(fd, SHUT_WR) != 0) return;
    for (;;) {
        int left = tool_linger_left_ms(&l, mono_ms());
        if (left == 0) return;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, left);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return;
        char buf[16384];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (tool_linger_read(&l, (long)n)) return;
    }
}

void tool_linger_close(int fd, int ms)
{
    tool_linger_drain(fd, ms);
    close(fd);
}

const char *tool_nonempty(const char *flag, const char *value)
{
    if (!value[0]) tool_die("%s needs a value (none turns it off)", flag);
    return value;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629 4: no overlong forms,
 * no surrogates, nothing above U+10FFFF), 0 when it is not one. */
size_t tool_utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80) return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) return (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (p[0] >= 0xe0 && p[0] <= 0xef) {
        unsigned lo = p[0] == 0xe0 ? 0xa0 : 0x80, hi = p[0] == 0xed ? 0x9f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        unsigned lo = p[0] == 0xf0 ? 0x90 : 0x80, hi = p[0] == 0xf4 ? 0x8f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

/* A JSON string (RFC 8259 7) that is valid UTF-8 (8.1) whatever the bytes
 * of s: certificate names may hold Latin-1, control bytes, or a multibyte
 * character cut by a fixed-size buffer. Control characters become \u00XX;
 * a byte that does not start a valid UTF-8 sequence becomes the character
 * U+00XX (so no byte is lost and the output stays valid). */
void tool_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        size_t n = tool_utf8_len(p);
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\r') fputs("\\r", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f || n == 0) fprintf(f, "\\u%04x", *p);
        else {
            fwrite(p, 1, n, f);
            p += n;
            continue;
        }
        p++;
    }
    fputc('"', f);
}

/* --min-rsa-bits / --insecure-min-rsa-bits: a whole number in range, or a
 * usage error naming the option (the library's own message would name its
 * C function). Below 2048 only with the insecure option (issue #16). */
int tool_rsa_bits_arg(const char *flag, const char *val)
{
    int insecure = !strcmp(flag, "--insecure-min-rsa-bits");
    long lo = insecure ? 1024 : 2048;
    char *e;
    errno = 0;
    long v = strtol(val, &e, 10);
    if (!*val || *e || errno || v < lo || v > 16384)
        tool_die("%s takes %ld..16384%s, not '%s'", flag, lo, insecure ? "" : " (below: --insecure-min-rsa-bits)", val);
    return (int)v;
}

/* The two key-size options on a config (values already range-checked by
 * tool_rsa_bits_arg or verify.c): client, server and verify alike. The
 * insecure one, below 2048, warns on stderr as "<who>: WARNING: ... accepts
 * <accepts>" (who NULL: no warning, e.g. on a reload). -1 when the config
 * refuses (parley_config_error_string says why). */
int tool_rsa_policy(parley_config *cfg, int min_bits, int insecure_bits, const char *who, const char *accepts)
{
    if (min_bits && insecure_bits) tool_die("--min-rsa-bits and --insecure-min-rsa-bits exclude each other");
    if (min_bits) return parley_config_set_min_rsa_bits(cfg, min_bits) ? -1 : 0;
    if (!insecure_bits) return 0;
    if (who && insecure_bits < 2048) fprintf(stderr, "%s: WARNING: --insecure-min-rsa-bits %d accepts %s\n", who, insecure_bits, accepts);
    return parley_config_set_insecure_min_rsa_bits(cfg, insecure_bits) ? -1 : 0;
}

/* Certificate-derived text on a line of output: control bytes (< 0x20,
 * 0x7f) and bytes that are not valid UTF-8 become \xNN, so a name such as
 * "x\nverify: ok" or one with terminal escape sequences cannot forge a line
 * or drive the terminal. The library escapes names itself; this is the
 * tool's own guard for whatever it prints (already-escaped text passes
 * unchanged). */
void tool_text_str(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        size_t n = tool_utf8_len(p);
        if (n == 0 || *p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\x%02x", *p);
            n = 1;
        } else fwrite(p, 1, n, f);
        p += n;
    }
}

/* The client summary's peer_cert.N lines; names from the peer's
 * certificates, printed with no raw control bytes (tool_text_str). */
void tool_print_peer_certs(const parley_conn *c)
{
    char subj[512], iss[512], nb[64], na[64];
    for (int i = 0; i < parley_conn_peer_cert_count(c); i++) {
        if (parley_conn_peer_cert_info(c, i, subj, sizeof subj, iss, sizeof iss, nb, sizeof nb, na, sizeof na) != PARLEY_OK) continue;
        char sans[512] = "";
        (void)parley_conn_peer_cert_sans(c, i, sans, sizeof sans);
        printf("peer_cert.%d: subject=", i);
        tool_text_str(stdout, subj);
        printf("; issuer=");
        tool_text_str(stdout, iss);
        printf("; not_before=%s; not_after=%s; san=", nb, na);
        tool_text_str(stdout, sans);
        printf("\n");
    }
}
