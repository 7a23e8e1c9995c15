/*
 * wellknown: the DNS-SD service type a container port most likely
 * speaks, so that the common images (a web app on 80 or 8080, postgres
 * on 5432) are announced right without a portlight.type label.  It is
 * keyed on the container port, never the host port: the image decides
 * the protocol, the user only decides where it is published.  Names are
 * the registered ones of the IANA service-name registry, which is what
 * browsers on the LAN look for.
 */
#include <stddef.h>
#include <stdint.h>

#include "announce_int.h"

struct wellknown {
	uint16_t port;
	enum instance_proto proto;
	const char *type;
};

/* Sorted by port, then proto, so the lookup can stop early. */
static const struct wellknown wellknown_table[] = {
    {21, INSTANCE_PROTO_TCP, "_ftp._tcp"},
    {22, INSTANCE_PROTO_TCP, "_ssh._tcp"},
    {23, INSTANCE_PROTO_TCP, "_telnet._tcp"},
    {25, INSTANCE_PROTO_TCP, "_smtp._tcp"},
    {53, INSTANCE_PROTO_TCP, "_domain._tcp"},
    {53, INSTANCE_PROTO_UDP, "_domain._udp"},
    {69, INSTANCE_PROTO_UDP, "_tftp._udp"},
    {80, INSTANCE_PROTO_TCP, "_http._tcp"},
    {110, INSTANCE_PROTO_TCP, "_pop3._tcp"},
    {123, INSTANCE_PROTO_UDP, "_ntp._udp"},
    {143, INSTANCE_PROTO_TCP, "_imap._tcp"},
    {161, INSTANCE_PROTO_UDP, "_snmp._udp"},
    {389, INSTANCE_PROTO_TCP, "_ldap._tcp"},
    {443, INSTANCE_PROTO_TCP, "_https._tcp"},
    {445, INSTANCE_PROTO_TCP, "_smb._tcp"},
    {548, INSTANCE_PROTO_TCP, "_afpovertcp._tcp"},
    {554, INSTANCE_PROTO_TCP, "_rtsp._tcp"},
    {631, INSTANCE_PROTO_TCP, "_ipp._tcp"},
    {636, INSTANCE_PROTO_TCP, "_ldaps._tcp"},
    {873, INSTANCE_PROTO_TCP, "_rsync._tcp"},
    {993, INSTANCE_PROTO_TCP, "_imaps._tcp"},
    {1883, INSTANCE_PROTO_TCP, "_mqtt._tcp"},
    {2049, INSTANCE_PROTO_TCP, "_nfs._tcp"},
    {3000, INSTANCE_PROTO_TCP, "_http._tcp"},
    {3306, INSTANCE_PROTO_TCP, "_mysql._tcp"},
    {3389, INSTANCE_PROTO_TCP, "_rdp._tcp"},
    {3689, INSTANCE_PROTO_TCP, "_daap._tcp"},
    {5000, INSTANCE_PROTO_TCP, "_http._tcp"},
    {5432, INSTANCE_PROTO_TCP, "_postgresql._tcp"},
    {5672, INSTANCE_PROTO_TCP, "_amqp._tcp"},
    {5900, INSTANCE_PROTO_TCP, "_rfb._tcp"},
    {6379, INSTANCE_PROTO_TCP, "_redis._tcp"},
    {6443, INSTANCE_PROTO_TCP, "_https._tcp"},
    {8000, INSTANCE_PROTO_TCP, "_http._tcp"},
    {8080, INSTANCE_PROTO_TCP, "_http._tcp"},
    {8096, INSTANCE_PROTO_TCP, "_http._tcp"},
    {8123, INSTANCE_PROTO_TCP, "_home-assistant._tcp"},
    {8443, INSTANCE_PROTO_TCP, "_https._tcp"},
    {8883, INSTANCE_PROTO_TCP, "_secure-mqtt._tcp"},
    {8888, INSTANCE_PROTO_TCP, "_http._tcp"},
    {9000, INSTANCE_PROTO_TCP, "_http._tcp"},
    {9090, INSTANCE_PROTO_TCP, "_http._tcp"},
    {9100, INSTANCE_PROTO_TCP, "_pdl-datastream._tcp"},
    {11211, INSTANCE_PROTO_TCP, "_memcache._tcp"},
    {27017, INSTANCE_PROTO_TCP, "_mongodb._tcp"},
    {32400, INSTANCE_PROTO_TCP, "_plexmediasvr._tcp"},
};

const char *
wellknown_type(uint16_t port, enum instance_proto proto)
{
	size_t i;

	for (i = 0; i < sizeof wellknown_table / sizeof wellknown_table[0];
	     i++) {
		if (wellknown_table[i].port > port)
			break;
		if (wellknown_table[i].port == port &&
		    wellknown_table[i].proto == proto)
			return (wellknown_table[i].type);
	}
	return (NULL);
}
