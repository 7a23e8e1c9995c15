/*
 * libFuzzer target for the /events reader.  The same bytes are fed whole
 * and in slices chosen from the input itself: both runs must report the
 * same events and errors (the property the engine connection relies on,
 * since libcurl slices the stream arbitrarily).  A small cap in a third
 * run exercises the skipping of long lines.  Seeds: the captured
 * streams, a few lines per file (corpus/eventstream/).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eventstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A digest of every callback, in order (FNV-1a). */
struct digest {
	uint64_t h;
	size_t events;
	size_t errors;
};

static void
digest_str(struct digest *d, const char *s)
{
	if (s == NULL)
		s = "\x01(null)";
	for (; *s != '\0'; s++)
		d->h = (d->h ^ (uint8_t)*s) * 1099511628211ULL;
	d->h = (d->h ^ 0xff) * 1099511628211ULL;
}

static void
digest_event(const struct engine_event *ev, void *arg)
{
	struct digest *d = arg;

	if (ev->type == NULL || ev->action == NULL || ev->id == NULL ||
	    ev->container == NULL || strchr(ev->action, ':') != NULL)
		__builtin_trap();
	digest_str(d, ev->type);
	digest_str(d, ev->action);
	digest_str(d, ev->id);
	digest_str(d, ev->container);
	digest_str(d, ev->name);
	digest_str(d, ev->health);
	d->h ^= (uint64_t)ev->time * 31 + (uint64_t)ev->time_nano;
	d->events++;
}

static void
digest_error(const char *reason, void *arg)
{
	struct digest *d = arg;

	if (reason == NULL)
		__builtin_trap();
	digest_str(d, reason);
	d->errors++;
}

/* Feeds data in slices of 1..step bytes from a generator seeded by seed. */
static struct digest
run(const uint8_t *data, size_t size, size_t cap, uint32_t seed, size_t step)
{
	struct digest d = {14695981039346656037ULL, 0, 0};
	struct eventstream *es;
	size_t at = 0, n;

	if ((es = eventstream_new(cap, digest_event, digest_error, &d)) == NULL)
		abort();
	while (at < size) {
		seed = seed * 1103515245 + 12345;
		n = step == 0 ? size - at : 1 + (seed >> 16) % step;
		if (n > size - at)
			n = size - at;
		if (eventstream_feed(es, (const char *)data + at, n) != 0)
			abort();
		at += n;
	}
	eventstream_free(es);
	return d;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest whole, sliced, bytes;
	uint32_t seed = size > 0 ? data[0] | (uint32_t)size << 8 : 1;

	whole = run(data, size, 4096, seed, 0);
	sliced = run(data, size, 4096, seed, 1 + seed % 97);
	if (whole.h != sliced.h || whole.events != sliced.events ||
	    whole.errors != sliced.errors)
		__builtin_trap();
	if (size < 4096) {
		bytes = run(data, size, 4096, seed, 1);
		if (bytes.h != whole.h)
			__builtin_trap();
	}
	whole = run(data, size, 96, seed, 0);
	sliced = run(data, size, 96, seed, 7);
	if (whole.h != sliced.h)
		__builtin_trap();
	return 0;
}
