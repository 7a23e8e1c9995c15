/*
 * hostfacts: reads this host's name and interfaces (getifaddrs) into the
 * struct host_facts that announce() takes.
 */
#ifndef HOSTFACTS_H
#define HOSTFACTS_H

#include "announce.h"

/* Returns 0 or -errno.  Fills *out; free with hostfacts_clear(). */
int hostfacts_read(struct host_facts *out);
void hostfacts_clear(struct host_facts *hf);

#endif
