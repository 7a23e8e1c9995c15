/* list.c: not written yet. */
