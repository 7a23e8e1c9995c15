/* announce.c: not written yet. */
