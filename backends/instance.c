/* instance.c: not written yet. */
