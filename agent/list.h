/*
 * list: "portlight list": one pass over the engines' running containers,
 * printing what would be announced and every skip with its reason, as
 * text or JSON.  Changes nothing on the network.
 */
#ifndef LIST_H
#define LIST_H

struct options;

int list_run(const struct options *o);

#endif
