/*
 * busaddr: the unix socket path of a D-Bus server address, pure.
 *
 * A D-Bus address is a list of transports separated by ';', each
 * "transport:key=value,key=value" with values %-escaped
 * ("unix:path=/run/dbus/system_bus_socket,guid=..."). The publisher
 * watches the socket of the system bus so that it reconnects as soon as
 * the bus comes back (buswatch.h).
 */
#ifndef BUSADDR_H
#define BUSADDR_H

#include <stddef.h>

/* libdbus's system bus when DBUS_SYSTEM_BUS_ADDRESS is not set. */
#define BUSADDR_SYSTEM_DEFAULT "unix:path=/var/run/dbus/system_bus_socket"

/*
 * Writes the path of the first "unix:path=" transport of address into
 * out.  Returns 0; -ENOENT when no transport has a socket file (abstract
 * sockets, tcp, an empty address); -EINVAL for a bad %-escape or a
 * relative path; -ENAMETOOLONG when it does not fit outlen.  On failure
 * out is "".
 */
int busaddr_socket_path(const char *address, char *out, size_t outlen);

#endif
