/*
 * err.h - Parley's error model.
 *
 * Internal functions return int: 0 (or a positive count) on success, a negative
 * pl_err code on failure. PL_ENSURE / PL_BAIL record the code, a sentence and
 * file:line in thread-local storage; PL_GUARD propagates. One table
 * (pl_err_alert) maps each code to the TLS alert it implies, so no failure path
 * needs a separate "send alert" call (lesson from rustls/picotls, anchors.md 5).
 */
#ifndef PL_ERR_H
#define PL_ERR_H

#include <stddef.h>

#if defined(__GNUC__)
#define PL_MUST_CHECK __attribute__((warn_unused_result))
#define PL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PL_MUST_CHECK
#define PL_PRINTF(a, b)
#endif

/* TLS alert descriptions (RFC 8446 6, RFC 5246 7.2). */
enum pl_alert {
    PL_ALERT_CLOSE_NOTIFY = 0,
    PL_ALERT_UNEXPECTED_MESSAGE = 10,
    PL_ALERT_BAD_RECORD_MAC = 20,
    PL_ALERT_RECORD_OVERFLOW = 22,
    PL_ALERT_HANDSHAKE_FAILURE = 40,
    PL_ALERT_BAD_CERTIFICATE = 42,
    PL_ALERT_UNSUPPORTED_CERTIFICATE = 43,
    PL_ALERT_CERTIFICATE_REVOKED = 44,
    PL_ALERT_CERTIFICATE_EXPIRED = 45,
    PL_ALERT_CERTIFICATE_UNKNOWN = 46,
    PL_ALERT_ILLEGAL_PARAMETER = 47,
    PL_ALERT_UNKNOWN_CA = 48,
    PL_ALERT_ACCESS_DENIED = 49,
    PL_ALERT_DECODE_ERROR = 50,
    PL_ALERT_DECRYPT_ERROR = 51,
    PL_ALERT_PROTOCOL_VERSION = 70,
    PL_ALERT_INSUFFICIENT_SECURITY = 71,
    PL_ALERT_INTERNAL_ERROR = 80,
    PL_ALERT_INAPPROPRIATE_FALLBACK = 86,
    PL_ALERT_USER_CANCELED = 90,
    PL_ALERT_NO_RENEGOTIATION = 100,
    PL_ALERT_MISSING_EXTENSION = 109,
    PL_ALERT_UNSUPPORTED_EXTENSION = 110,
    PL_ALERT_UNRECOGNIZED_NAME = 112,
    PL_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE = 113,
    PL_ALERT_UNKNOWN_PSK_IDENTITY = 115,
    PL_ALERT_CERTIFICATE_REQUIRED = 116,
    PL_ALERT_NO_APPLICATION_PROTOCOL = 120
};

/* Error codes. Each maps to one alert (or none) in err.c. */
enum pl_err {
    PL_OK = 0,
    PL_ERR_DECODE,                /* malformed wire data */
    PL_ERR_ILLEGAL_PARAMETER,     /* well-formed but not allowed */
    PL_ERR_UNEXPECTED_MESSAGE,
    PL_ERR_BAD_RECORD_MAC,
    PL_ERR_RECORD_OVERFLOW,
    PL_ERR_HANDSHAKE_FAILURE,
    PL_ERR_BAD_CERTIFICATE,
    PL_ERR_UNSUPPORTED_CERTIFICATE,
    PL_ERR_CERTIFICATE_REVOKED,
    PL_ERR_CERTIFICATE_EXPIRED,
    PL_ERR_CERTIFICATE_UNKNOWN,
    PL_ERR_UNKNOWN_CA,
    PL_ERR_ACCESS_DENIED,
    PL_ERR_DECRYPT_ERROR,
    PL_ERR_PROTOCOL_VERSION,
    PL_ERR_INSUFFICIENT_SECURITY,
    PL_ERR_INTERNAL,
    PL_ERR_MISSING_EXTENSION,
    PL_ERR_UNSUPPORTED_EXTENSION,
    PL_ERR_UNRECOGNIZED_NAME,
    PL_ERR_CERTIFICATE_REQUIRED,
    PL_ERR_NO_APPLICATION_PROTOCOL,
    PL_ERR_BAD_CERTIFICATE_STATUS,
    PL_ERR_PEER_ALERT,            /* the peer sent a fatal alert: we send none */
    PL_ERR_IO,                    /* socket failure: no alert possible */
    PL_ERR_USAGE,                 /* API misuse */
    PL_ERR_NOMEM,
    PL_ERR_CRYPTO,                /* libcrypto failed unexpectedly */
    PL_ERR__COUNT
};

/* Alert to send for a code, or -1 for none. */
int pl_err_alert(int code);
const char *pl_err_name(int code);

/* Record an error (thread-local) and return -code. */
int pl_fail(int code, const char *file, int line, const char *fmt, ...) PL_PRINTF(4, 5);
/* Last recorded error on this thread. */
int pl_last_code(void);
const char *pl_last_message(void);
const char *pl_last_where(void);
void pl_clear_error(void);

#define PL_BAIL(code, ...) return pl_fail((code), __FILE__, __LINE__, __VA_ARGS__)
#define PL_ENSURE(cond, code, ...)                                                        \
    do {                                                                                  \
        if (!(cond)) return pl_fail((code), __FILE__, __LINE__, __VA_ARGS__);             \
    } while (0)
#define PL_GUARD(expr)                                                                    \
    do {                                                                                  \
        int pl__rc = (expr);                                                              \
        if (pl__rc < 0) return pl__rc;                                                    \
    } while (0)
/* Error code of a negative return value. */
#define PL_CODE(rc) (-(rc))

#endif
