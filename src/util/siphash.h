/*
 * siphash.h - SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash for
 * hash tables whose keys a peer influences, so that it cannot choose keys
 * that all land in one bucket without knowing the table's random key.
 */
#ifndef PL_SIPHASH_H
#define PL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t pl_siphash24(const uint8_t key[16], const uint8_t *in, size_t len);

#endif
