/* err.c - error table and thread-local error record. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int alert;
} pl_err_table[PL_ERR__COUNT] = {
    [PL_OK] = {"ok", -1},
    [PL_ERR_DECODE] = {"decode_error", PL_ALERT_DECODE_ERROR},
    [PL_ERR_ILLEGAL_PARAMETER] = {"illegal_parameter", PL_ALERT_ILLEGAL_PARAMETER},
    [PL_ERR_UNEXPECTED_MESSAGE] = {"unexpected_message", PL_ALERT_UNEXPECTED_MESSAGE},
    [PL_ERR_BAD_RECORD_MAC] = {"bad_record_mac", PL_ALERT_BAD_RECORD_MAC},
    [PL_ERR_RECORD_OVERFLOW] = {"record_overflow", PL_ALERT_RECORD_OVERFLOW},
    [PL_ERR_HANDSHAKE_FAILURE] = {"handshake_failure", PL_ALERT_HANDSHAKE_FAILURE},
    [PL_ERR_BAD_CERTIFICATE] = {"bad_certificate", PL_ALERT_BAD_CERTIFICATE},
    [PL_ERR_UNSUPPORTED_CERTIFICATE] = {"unsupported_certificate", PL_ALERT_UNSUPPORTED_CERTIFICATE},
    [PL_ERR_CERTIFICATE_REVOKED] = {"certificate_revoked", PL_ALERT_CERTIFICATE_REVOKED},
    [PL_ERR_CERTIFICATE_EXPIRED] = {"certificate_expired", PL_ALERT_CERTIFICATE_EXPIRED},
    [PL_ERR_CERTIFICATE_UNKNOWN] = {"certificate_unknown", PL_ALERT_CERTIFICATE_UNKNOWN},
    [PL_ERR_UNKNOWN_CA] = {"unknown_ca", PL_ALERT_UNKNOWN_CA},
    [PL_ERR_ACCESS_DENIED] = {"access_denied", PL_ALERT_ACCESS_DENIED},
    [PL_ERR_DECRYPT_ERROR] = {"decrypt_error", PL_ALERT_DECRYPT_ERROR},
    [PL_ERR_PROTOCOL_VERSION] = {"protocol_version", PL_ALERT_PROTOCOL_VERSION},
    [PL_ERR_INSUFFICIENT_SECURITY] = {"insufficient_security", PL_ALERT_INSUFFICIENT_SECURITY},
    [PL_ERR_INTERNAL] = {"internal_error", PL_ALERT_INTERNAL_ERROR},
    [PL_ERR_MISSING_EXTENSION] = {"missing_extension", PL_ALERT_MISSING_EXTENSION},
    [PL_ERR_UNSUPPORTED_EXTENSION] = {"unsupported_extension", PL_ALERT_UNSUPPORTED_EXTENSION},
    [PL_ERR_UNRECOGNIZED_NAME] = {"unrecognized_name", PL_ALERT_UNRECOGNIZED_NAME},
    [PL_ERR_CERTIFICATE_REQUIRED] = {"certificate_required", PL_ALERT_CERTIFICATE_REQUIRED},
    [PL_ERR_NO_APPLICATION_PROTOCOL] = {"no_application_protocol", PL_ALERT_NO_APPLICATION_PROTOCOL},
    [PL_ERR_BAD_CERTIFICATE_STATUS] = {"bad_certificate_status_response", PL_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE},
    [PL_ERR_PEER_ALERT] = {"peer_alert", -1},
    [PL_ERR_IO] = {"io_error", -1},
    [PL_ERR_USAGE] = {"usage_error", PL_ALERT_INTERNAL_ERROR},
    [PL_ERR_NOMEM] = {"out_of_memory", PL_ALERT_INTERNAL_ERROR},
    [PL_ERR_CRYPTO] = {"crypto_error", PL_ALERT_INTERNAL_ERROR},
};

static _Thread_local struct {
    int code;
    const char *file;
    int line;
    char msg[1024]; /* a verification sentence names two certificates (verify_reason.c) */
    char where[96];
} pl_tls_err;

int pl_err_alert(int code)
{
    if (code <= 0 || code >= PL_ERR__COUNT) return PL_ALERT_INTERNAL_ERROR;
    return pl_err_table[code].alert;
}

const char *pl_err_name(int code)
{
    if (code < 0 || code >= PL_ERR__COUNT) return "unknown_error";
    return pl_err_table[code].name;
}

int pl_fail(int code, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (code <= 0 || code >= PL_ERR__COUNT) code = PL_ERR_INTERNAL;
    pl_tls_err.code = code;
    pl_tls_err.file = file;
    pl_tls_err.line = line;
    va_start(ap, fmt);
    vsnprintf(pl_tls_err.msg, sizeof pl_tls_err.msg, fmt, ap);
    va_end(ap);
    return -code;
}

int pl_last_code(void) { return pl_tls_err.code; }
const char *pl_last_message(void) { return pl_tls_err.msg; }

const char *pl_last_where(void)
{
    const char *f = pl_tls_err.file ? pl_tls_err.file : "?";
    const char *slash = strrchr(f, '/');
    snprintf(pl_tls_err.where, sizeof pl_tls_err.where, "%s:%d", slash ? slash + 1 : f,
             pl_tls_err.line);
    return pl_tls_err.where;
}

void pl_clear_error(void)
{
    pl_tls_err.code = 0;
    pl_tls_err.msg[0] = 0;
}
