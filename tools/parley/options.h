/* options.h - the options of `parley server | proxy | keyserver`, from the
 * command line and from a --config FILE (config_file.c), and strict numeric
 * values (opt_num.c). docs/config.md describes the file format. */
#ifndef PARLEY_TOOL_OPTIONS_H
#define PARLEY_TOOL_OPTIONS_H

#include "common.h"

/* --config FILE (anywhere in argv): the file's options become "--name
 * [value]" arguments placed before the command line's own (without
 * --config FILE), so the command line overrides a single-valued option
 * and adds to a repeatable one. Each argument remembers where it came from
 * (FILE:LINE, or the command line). No --config: argv is left as it is. */
void tool_config_load(int *argc, char ***argv);
/* The option at argv[i] is being applied: tool_die now names its FILE:LINE
 * (nothing for a command-line option). Returns i. */
int tool_opt_begin(int i);
/* argv[*i]'s value (advancing *i), or a usage error: none follows, or the
 * file's line had no value (the next line's option is not a value). */
char *tool_opt_value(int argc, char **argv, int *i);
/* The option begun at `start` was applied and ended at `i`: a flag given a
 * value on its file line is an error. Then tool_die names nothing again. */
void tool_opt_end(int start, int i);
/* Name the FILE:LINE of the option whose value is `value` (a pointer taken
 * from argv) in tool_die's messages, or nothing for NULL or a command-line
 * value: for errors found after parsing, e.g. a certificate that does not load. */
void tool_opt_point(const char *value);
/* "FILE:LINE" of that value, or NULL (the command line). */
const char *tool_opt_where(const char *value);

/* Whole numbers: digits only (a leading '-' or a suffix such as "10x" is an
 * error naming the option, never atoi's silent 10), within lo..hi. */
long tool_num_arg(const char *flag, const char *val, long lo, long hi);
/* Seconds, decimals allowed ("0.5"), more than 0 and at most max_s: in ms. */
int tool_ms_arg(const char *flag, const char *val, double max_s);

#endif
