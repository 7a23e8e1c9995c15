/* publisher.c: not written yet. */
