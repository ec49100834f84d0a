/* opt_num.c - numeric option values, parsed strictly: "10x", "-3", "" or
 * an overflow is a usage error naming the option, never a silent atoi. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

long tool_num_arg(const char *flag, const char *val, long lo, long hi)
{
    char *e;
    errno = 0;
    /* Digits only: strtol would take a sign and leading blanks. */
    long v = val[0] >= '0' && val[0] <= '9' ? strtol(val, &e, 10) : (e = (char *)val, 0);
    if (e == val || *e || errno || v < lo || v > hi) tool_die("%s takes a whole number from %ld to %ld, not '%s'", flag, lo, hi, val);
    return v;
}

int tool_ms_arg(const char *flag, const char *val, double max_s)
{
    char *e;
    errno = 0;
    /* Digits and a point only: strtod would also read signs, "inf", "nan"
     * and hex ("0x10"). Below 1 ms rounds to nothing, which means no time. */
    double v = val[0] >= '0' && val[0] <= '9' && !val[strspn(val, "0123456789.")] ? strtod(val, &e) : (e = (char *)val, 0);
    if (e == val || *e || errno || !isfinite(v) || v * 1000 < 1 || v > max_s)
        tool_die("%s takes seconds, more than 0 and at most %g, not '%s'", flag, max_s, val);
    return (int)(v * 1000);
}
