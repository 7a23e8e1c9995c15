/*
 * sha256: the SHA-256 digest as lower-case hex.  Docker keeps each context
 * in contexts/meta/<sha256 of its name>/, and this is the only reason we
 * hash anything, so a small self-contained implementation beats a crypto
 * library dependency.  Pure.
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>

#define SHA256_HEX_LEN 64

/* Writes 64 hex digits and a NUL to out. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);

#endif
