/*
 * Helpers shared by the unit tests: reading fixture files captured from
 * the real engines (see tests/fixtures/README.md).
 */
#ifndef FIXTURE_H
#define FIXTURE_H

#include <stddef.h>

/* Reads FIXTURE_DIR/name into a NUL-terminated buffer; aborts the test on error. */
char	*fixture_read(const char *name, size_t *len);

#endif
