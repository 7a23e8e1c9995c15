/* eventstream.c: not written yet. */
