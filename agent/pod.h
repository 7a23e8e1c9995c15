/*
 * pod: a Podman pod is announced once.  Its infra container holds the
 * pod's ports and every member reports them as its own, so each labelled
 * member would announce the same service.  Each member's records are
 * computed by announce_instance (which names a member of a known pod after
 * the pod unless its labels name it), then merged into the pod's one
 * announcement (pod_merge).  Pure: no I/O, no logging.
 */
#ifndef POD_H
#define POD_H

#include <stddef.h>

struct announcement;

/*
 * The union of n members' announcements (NULL entries are skipped):
 * identical services, host names and addresses once; a service that
 * would collide with another (one name and type, different records) is
 * renamed "NAME (PORT)" as within one container, or left out with a skip
 * when that collides too.  Output is sorted, so the same members give an
 * equal announcement in any order.  Returns 0 and sets *out, or -ENOMEM.
 */
int pod_merge(
    const struct announcement *const *v, size_t n, struct announcement **out);

#endif
