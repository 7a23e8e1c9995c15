/*
 * libFuzzer target for instance_from_inspect(): any bytes must either be
 * refused with -EINVAL and a reason, or give an instance whose fields keep
 * the promises of instance.h; nothing may leak or crash.  Seeds: the
 * inspect JSON captured from the real engines (corpus/instance/).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "instance.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check(const struct instance *inst)
{
	size_t i;

	if (inst->id == NULL || *inst->id == '\0' || inst->name == NULL ||
	    inst->name[0] == '/' || strlen(inst->short_id) > 12 ||
	    strcmp(inst->engine, "docker") != 0)
		__builtin_trap();
	for (i = 0; i < inst->nports; i++) {
		const struct instance_port *p = &inst->ports[i];

		if (p->container_port == 0 ||
		    (p->host_port == 0) != (p->host_ip == NULL) ||
		    instance_proto_name(p->proto) == NULL)
			__builtin_trap();
	}
	for (i = 0; i < inst->nlabels; i++) {
		if (instance_label(inst, inst->labels[i].key) == NULL)
			__builtin_trap();
	}
	for (i = 0; i < inst->nenv; i++) {
		if (instance_env(inst, inst->env[i].key) == NULL ||
		    (strncmp(inst->env[i].key, "PORTLIGHT_", 10) != 0 &&
			strncmp(inst->env[i].key, "KOI_", 4) != 0))
			__builtin_trap();
	}
	for (i = 0; i < inst->nnetworks; i++) {
		if (inst->networks[i].name == NULL)
			__builtin_trap();
	}
	if (inst->compose_number < 0 ||
	    instance_state_name(inst->state) == NULL ||
	    instance_health_name(inst->health) == NULL)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct instance *inst = NULL;
	const char *why = NULL;
	size_t i;
	int error;

	error = instance_from_inspect(
	    (const char *)data, size, "docker", &inst, &why);
	if (error != 0) {
		if (error != -EINVAL || why == NULL || inst != NULL)
			__builtin_trap();
		return 0;
	}
	fuzz_check(inst);
	for (i = 0; i < inst->nnetworks; i++) {
		if (instance_set_network_driver(
			inst, inst->networks[i].name, "macvlan") != 0 ||
		    strcmp(inst->networks[i].driver, "macvlan") != 0)
			__builtin_trap();
	}
	if (instance_set_pod(inst, inst->id, true) != 0 || !inst->pod_infra)
		__builtin_trap();
	instance_free(inst);
	return 0;
}
