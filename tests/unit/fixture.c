/*
 * Reads the JSON fixtures captured from real engines into memory;
 * removes the tests' scratch folders.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

char *
fixture_read(const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, name);
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "fixture %s: cannot open\n", path);
		abort();
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL)
		abort();
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static int
fixture_remove_one(
    const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int
fixture_remove_tree(const char *dir)
{
	return nftw(dir, fixture_remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0
	    ? 0
	    : -1;
}
