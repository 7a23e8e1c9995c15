/* reconcile.c: not written yet. */
