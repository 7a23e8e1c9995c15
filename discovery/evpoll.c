/* evpoll.c: not written yet. */
