#ifndef REMEDY_RECONCILE_H
#define REMEDY_RECONCILE_H
/*
 * Crash-safe start: records a crash left "executing" are marked
 * "interrupted" (history_update), with what the cluster shows now; a node a
 * cordon or drain left unschedulable is named. Logs a warning per record,
 * as the remediation loop does. kc may be NULL (no node lookups). Owns
 * nothing.
 */
#include "kube/client.h"
#include "remedy/history.h"

void remedy_reconcile(struct history *hist, struct kube_client *kc);

#endif
