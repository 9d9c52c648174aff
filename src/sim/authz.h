#ifndef SIM_AUTHZ_H
#define SIM_AUTHZ_H
/*
 * Service account tokens and RBAC for the simulated API server. The token
 * in the kubeconfig (and the client certificate) is the cluster admin
 * (group system:masters: everything allowed). POST
 * /sim/v1/serviceaccounts/NS/NAME/token mints a token for the service
 * account NS/NAME; its requests are authorised by the ClusterRoles, Roles
 * and bindings stored in the sim, as the API server's RBAC authoriser does,
 * and refused with the API server's 403 Status otherwise. Internal to
 * src/sim/; called under no lock (takes simstate.mu itself).
 */
#include <stdbool.h>
#include "net/httpd.h"

struct simstate;

#define SIM_USER_MAX 320

struct sim_identity {
	bool admin;
	char user[SIM_USER_MAX];        /* "system:serviceaccount:NS:NAME" */
	char sa_ns[64], sa_name[254];
};

/* Who presents token; false when it is not one the sim issued. */
bool authz_token(struct simstate *s, const char *token, struct sim_identity *who);
/* POST /sim/v1/serviceaccounts/NS/NAME/token: {"token": "..."} (admin only). */
void authz_mint(struct simstate *s, const struct sim_identity *who, const struct httpd_req *r,
		struct httpd_resp *resp);
/*
 * Authorises the request (path and method as received; watch, subresources
 * and the metrics API included). True when allowed; otherwise resp holds
 * the 403 Status.
 */
bool authz_allow(struct simstate *s, const struct sim_identity *who, const struct httpd_req *r,
		 struct httpd_resp *resp);

#endif
