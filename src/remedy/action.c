#include <errno.h>
#include <string.h>
#include "remedy/action.h"
#include "base/banned.h"

static const char *const names[ACT__COUNT] = {
	"restart_pod", "scale_deployment", "change_limits", "cordon_node",
	"uncordon_node", "drain_node", "rollout_undo", "raise_hpa_max", "none",
};

const char *action_name(enum action_kind k)
{
	return k < ACT__COUNT ? names[k] : "unknown";
}

int action_parse(const char *s, enum action_kind *out)
{
	for (int i = 0; s && i < ACT__COUNT; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum action_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool action_is_node(enum action_kind k)
{
	return k == ACT_CORDON_NODE || k == ACT_UNCORDON_NODE || k == ACT_DRAIN_NODE;
}
