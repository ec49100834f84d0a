/* record_size_limit.h - the tools' --record-size-limit option and the
 * client's summary line for it (RFC 8449). */
#ifndef PARLEY_TOOL_RECORD_SIZE_LIMIT_H
#define PARLEY_TOOL_RECORD_SIZE_LIMIT_H

#include <parley/parley.h>

/* The option's value: a decimal number (0 turns the extension off); anything
 * else ends the program with a usage error. The library checks the range. */
unsigned tool_record_size_limit(const char *arg);
/* "record_size_limit: <peer's>/<ours>" or "record_size_limit: none". */
void tool_print_record_size_limit(const parley_conn *c);

#endif
