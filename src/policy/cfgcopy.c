/* Copies of a policy configuration (see vxtap/policy.h). */
#include <stdlib.h>
#include <string.h>

#include "vxtap/policy.h"

static void *dup_array(const void *src, size_t n, size_t size)
{
	if (!n)
		return NULL;
	void *d = malloc(n * size);
	if (d)
		memcpy(d, src, n * size);
	return d;
}

void vx_policy_cfg_release(struct vx_policy_cfg *cfg)
{
	for (size_t i = 0; cfg->groups && i < cfg->n_groups; i++)
		free(cfg->groups[i].rules);
	for (size_t i = 0; cfg->nacls && i < cfg->n_nacls; i++)
		free(cfg->nacls[i].entries);
	free(cfg->groups);
	free(cfg->nacls);
	free(cfg->ifaces);
	memset(cfg, 0, sizeof(*cfg));
}

int vx_policy_cfg_copy(struct vx_policy_cfg *dst, const struct vx_policy_cfg *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->groups = calloc(src->n_groups ? src->n_groups : 1, sizeof(*dst->groups));
	dst->nacls = calloc(src->n_nacls ? src->n_nacls : 1, sizeof(*dst->nacls));
	dst->ifaces = dup_array(src->ifaces, src->n_ifaces, sizeof(*src->ifaces));
	if (!dst->groups || !dst->nacls || (src->n_ifaces && !dst->ifaces))
		goto fail;
	dst->n_ifaces = src->n_ifaces;
	for (size_t i = 0; i < src->n_groups; i++, dst->n_groups++) {
		dst->groups[i] = src->groups[i];
		dst->groups[i].rules =
			dup_array(src->groups[i].rules, src->groups[i].n_rules, sizeof(struct vx_sg_rule));
		if (src->groups[i].n_rules && !dst->groups[i].rules)
			goto fail;
	}
	for (size_t i = 0; i < src->n_nacls; i++, dst->n_nacls++) {
		dst->nacls[i] = src->nacls[i];
		dst->nacls[i].entries = dup_array(src->nacls[i].entries, src->nacls[i].n_entries,
						  sizeof(struct vx_nacl_entry));
		if (src->nacls[i].n_entries && !dst->nacls[i].entries)
			goto fail;
	}
	return 0;
fail:
	vx_policy_cfg_release(dst);
	return -1;
}
