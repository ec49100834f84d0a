/* record_size_limit.c - see record_size_limit.h. */
#include "record_size_limit.h"

#include <stdio.h>
#include <stdlib.h>

#include "common.h"

unsigned tool_record_size_limit(const char *arg)
{
    char *end;
    unsigned long v = strtoul(arg, &end, 10);
    if (!*arg || *end || v > 65535) tool_die("--record-size-limit needs a number (64..16385, or 0 for off), not '%s'", arg);
    return (unsigned)v;
}

void tool_print_record_size_limit(const parley_conn *c)
{
    unsigned peer, ours;
    parley_conn_record_size_limit(c, &peer, &ours);
    if (peer) printf("record_size_limit: %u/%u\n", peer, ours);
    else printf("record_size_limit: none\n");
}
