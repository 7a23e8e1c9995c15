/*
 * agent: the daemon itself (portlight run): one event_base, the engine
 * connections, the reconciler and the publisher, and the signals.
 */
#ifndef AGENT_H
#define AGENT_H

struct options;

/* Runs until SIGTERM/SIGINT; returns the process exit status. */
int agent_run(const struct options *o);

#endif
