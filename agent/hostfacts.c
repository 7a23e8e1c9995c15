/* hostfacts.c: not written yet. */
