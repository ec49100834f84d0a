/* record_size_limit.c - see record_size_limit.h. */
#include "record_size_limit.h"

#include <stdio.h>
#include <stdlib.h>

#include "common.h"

unsigned tool_record_size_limit(const char *arg)
{
    char *end;
    /* Digits only: strtoul would take leading spaces, a sign, and wrap a
     * negative number ("-18446744073709551552" is 64). */
    unsigned long v = *arg >= '0' && *arg <= '9' ? strtoul(arg, &end, 10) : 0;
    if (!(*arg >= '0' && *arg <= '9') || *end || v > 65535) tool_die("--record-size-limit needs a number (64..16385, or 0 for off), not '%s'", arg);
    return (unsigned)v;
}

void tool_print_record_size_limit(const parley_conn *c)
{
    unsigned peer, ours;
    parley_conn_record_size_limit(c, &peer, &ours);
    if (peer) printf("record_size_limit: %u/%u\n", peer, ours);
    else printf("record_size_limit: none\n");
}
