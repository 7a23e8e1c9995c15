/*
 * Helpers shared by the unit tests: reading fixture files captured from
 * the real engines (see tests/fixtures/README.md), removing scratch
 * folders.
 */
#ifndef FIXTURE_H
#define FIXTURE_H

#include <stddef.h>

/* Reads FIXTURE_DIR/name into a NUL-terminated buffer; aborts the test on error. */
char *fixture_read(const char *name, size_t *len);
/* Removes dir and everything below it (links are not followed): 0 or -1. */
int fixture_remove_tree(const char *dir);

#endif
