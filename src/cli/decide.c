/*
 * kubemend approve ID / kubemend reject ID: decide a Remediation record
 * that lives in the API server (docs/incluster.md). The decision names the
 * digest of the proposal it decides; the leader acts only on an approval
 * whose digest matches the proposal it would execute.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli/cli.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/remediation.h"
#include "base/banned.h"

static void usage(FILE *f, const char *cmd)
{
	fprintf(f, "usage: kubemend %s ID [--namespace NS] [--digest D] [--by WHO] [--note TEXT]\n"
		"                        [--kubeconfig F] [--context C]\n\n"
		"%s the Remediation record ID (a custom resource: kubectl get remediations -A).\n"
		"  --namespace NS   where the records live (default $POD_NAMESPACE, else kubemend)\n"
		"  --digest D       decide only if the proposal still has this digest (as shown by\n"
		"                   kubectl get remediation ID -o jsonpath='{.spec.digest}')\n"
		"  --by WHO         who decides (default $USER)\n"
		"  --note TEXT      a note kept with the decision\n",
		cmd, !strcmp(cmd, "approve") ? "Approves" : "Rejects");
}

static int decide(int argc, char **argv, bool approve)
{
	static const struct option opts[] = {
		{ "namespace", required_argument, NULL, 'n' },
		{ "digest", required_argument, NULL, 'd' },
		{ "by", required_argument, NULL, 'b' },
		{ "note", required_argument, NULL, 'm' },
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "context", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = approve ? "approve" : "reject";
	const char *ns = getenv("POD_NAMESPACE"), *digest = NULL, *by = getenv("USER"), *note = NULL;
	struct kube_config_opts ko;
	struct kube_config kube;
	struct kube_client kc;
	struct kube_error e;
	json_t *out = NULL;
	char err[512];
	int c, rc;

	memset(&ko, 0, sizeof(ko));
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': ns = optarg; break;
		case 'd': digest = optarg; break;
		case 'b': by = optarg; break;
		case 'm': note = optarg; break;
		case 'k': ko.kubeconfig = optarg; break;
		case 'c': ko.context = optarg; break;
		case 'h': usage(stdout, cmd); return 0;
		default: usage(stderr, cmd); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr, cmd);
		return EXIT_USAGE;
	}
	if (!ns || !*ns)
		ns = "kubemend";
	ko.env_kubeconfig = ko.kubeconfig ? NULL : getenv("KUBECONFIG");
	ko.home = getenv("HOME");
	ko.service_host = getenv("KUBERNETES_SERVICE_HOST");
	ko.service_port = getenv("KUBERNETES_SERVICE_PORT");
	ko.allow_http_token = getenv("KUBEMEND_ALLOW_HTTP_TOKEN");
	if (kube_config_load(&kube, &ko, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend %s: %s\n", cmd, err);
		return 1;
	}
	if (kube_config_http_token_notice(&kube, err, sizeof(err)))
		fprintf(stderr, "kubemend %s: warning: %s\n", cmd, err);
	if (kube_client_init(&kc, &kube, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend %s: %s\n", cmd, err);
		kube_config_release(&kube);
		return 1;
	}
	memset(&e, 0, sizeof(e));
	rc = kube_remediation_decide(&kc, ns, argv[optind], approve, by, digest, note, &out, &e);
	if (rc == 0) {
		json_t *spec = json_object_get(out, "spec");

		printf("%s remediation %s/%s: %s on %s (digest %s)\n", approve ? "approved" : "rejected", ns,
		       argv[optind], json_string_value(json_object_get(spec, "action")) ?
		       json_string_value(json_object_get(spec, "action")) : "?",
		       json_string_value(json_object_get(spec, "target")) ?
		       json_string_value(json_object_get(spec, "target")) : "?",
		       json_string_value(json_object_get(json_object_get(spec, "decision"), "digest")) ?
		       json_string_value(json_object_get(json_object_get(spec, "decision"), "digest")) : "?");
	} else if (e.status == 409) {
		fprintf(stderr, "kubemend %s: %s changed while being decided; review it again\n", cmd, argv[optind]);
	} else {
		fprintf(stderr, "kubemend %s: %s\n", cmd, e.msg);
	}
	json_decref(out);
	kube_client_release(&kc);
	kube_config_release(&kube);
	return rc == 0 ? 0 : 1;
}

int cmd_approve(int argc, char **argv)
{
	return decide(argc, argv, true);
}

int cmd_reject(int argc, char **argv)
{
	return decide(argc, argv, false);
}
