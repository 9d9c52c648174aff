#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <stdbool.h>
#include <unistd.h>
#include "kube/exec.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/strvec.h"
#include "base/banned.h"

extern char **environ;

void kube_cred_release(struct kube_cred *c)
{
	if (!c)
		return;
	if (c->token)
		memset(c->token, 0, strlen(c->token));
	if (c->key_pem)
		memset(c->key_pem, 0, strlen(c->key_pem));
	free(c->token);
	free(c->cert_pem);
	free(c->key_pem);
	memset(c, 0, sizeof(*c));
}

static char *opt_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

int kube_exec_parse(const char *json, size_t len, const char *api_version,
		    struct kube_cred *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr);
	const json_t *status, *v;
	struct kube_cred c;

	memset(&c, 0, sizeof(c));
	if (!root) {
		snprintf(err, errlen, "output is not JSON (line %d, column %d: %s)",
			 jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	v = json_object_get(root, "kind");
	if (!json_is_string(v) || strcmp(json_string_value(v), "ExecCredential")) {
		snprintf(err, errlen, "output is not an ExecCredential");
		goto bad;
	}
	v = json_object_get(root, "apiVersion");
	if (api_version && (!json_is_string(v) || strcmp(json_string_value(v), api_version))) {
		snprintf(err, errlen, "output has apiVersion %s, want %s",
			 json_is_string(v) ? json_string_value(v) : "(none)", api_version);
		goto bad;
	}
	status = json_object_get(root, "status");
	if (!json_is_object(status)) {
		snprintf(err, errlen, "ExecCredential has no status");
		goto bad;
	}
	c.token = opt_str(status, "token");
	c.cert_pem = opt_str(status, "clientCertificateData");
	c.key_pem = opt_str(status, "clientKeyData");
	v = json_object_get(status, "expirationTimestamp");
	if (v && !json_is_null(v) &&
	    (!json_is_string(v) || time_parse(json_string_value(v), &c.expires_ms) < 0)) {
		snprintf(err, errlen, "ExecCredential has a malformed expirationTimestamp");
		goto bad;
	}
	if (!c.token && !(c.cert_pem && c.key_pem)) {
		snprintf(err, errlen, "ExecCredential has neither a token nor a client certificate and key");
		goto bad;
	}
	if (!c.token && (c.cert_pem != NULL) != (c.key_pem != NULL)) {
		snprintf(err, errlen, "ExecCredential has a certificate without a key");
		goto bad;
	}
	json_decref(root);
	*out = c;
	return 0;
bad:
	kube_cred_release(&c);
	json_decref(root);
	return -EINVAL;
}

static int read_output(int fd, pid_t pid, struct buf *out, char *what, size_t whatlen)
{
	int64_t deadline = time_mono_ms() + KUBE_EXEC_TIMEOUT_MS;
	char chunk[4096];

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = deadline - time_mono_ms();
		ssize_t n;
		int rc;

		if (left <= 0) {
			kill(pid, SIGKILL);
			snprintf(what, whatlen, "timed out after %d s", KUBE_EXEC_TIMEOUT_MS / 1000);
			return -ETIMEDOUT;
		}
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			continue;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		if (buf_add(out, chunk, (size_t)n) < 0) {
			kill(pid, SIGKILL);
			snprintf(what, whatlen, "printed more than %u bytes", KUBE_EXEC_MAX_OUTPUT);
			return -E2BIG;
		}
	}
}

int kube_exec_run(const struct kube_exec *ex, struct kube_cred *out,
		  char *err, size_t errlen)
{
	struct buf outb, info = BUF_INIT;
	struct strvec argv = STRVEC_INIT, envp = STRVEC_INIT;
	char what[256] = "";
	int fds[2], status = 0, rc, devnull;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "exec plugin %s: pipe: %s", ex->command, strerror(errno));
		return -errno;
	}
	buf_addf(&info, "KUBERNETES_EXEC_INFO={\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\","
		 "\"spec\":{\"interactive\":false}}", ex->api_version);
	/* Everything the child needs is built before fork (other threads may
	 * hold the allocator's lock). The plugin's env overrides ours. */
	strvec_push(&argv, ex->command);
	for (size_t i = 0; i < ex->args.n; i++)
		strvec_push(&argv, ex->args.v[i]);
	for (char **e = environ; *e; e++) {
		size_t klen = strcspn(*e, "=");
		bool overridden = !strncmp(*e, "KUBERNETES_EXEC_INFO=", 21);
		for (size_t i = 0; i < ex->env.n && !overridden; i++)
			overridden = !memcmp(ex->env.v[i], *e, klen) && ex->env.v[i][klen] == '=';
		if (!overridden)
			strvec_push(&envp, *e);
	}
	for (size_t i = 0; i < ex->env.n; i++)
		strvec_push(&envp, ex->env.v[i]);
	strvec_push(&envp, info.data);
	buf_release(&info);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(fds[0]);
		close(fds[1]);
		if (devnull >= 0)
			close(devnull);
		strvec_clear(&argv);
		strvec_clear(&envp);
		snprintf(err, errlen, "exec plugin %s: fork: %s", ex->command, strerror(-rc));
		return rc;
	}
	if (pid == 0) {
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvpe(ex->command, argv.v, envp.v);
		_exit(127);
	}
	close(fds[1]);
	if (devnull >= 0)
		close(devnull);
	strvec_clear(&argv);
	strvec_clear(&envp);
	buf_init(&outb, KUBE_EXEC_MAX_OUTPUT);
	rc = read_output(fds[0], pid, &outb, what, sizeof(what));
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		snprintf(what, sizeof(what), "exited with status %d%s", WEXITSTATUS(status),
			 WEXITSTATUS(status) == 127 ? " (command not found?)" : "");
		rc = -EIO;
	} else if (rc == 0 && WIFSIGNALED(status)) {
		snprintf(what, sizeof(what), "killed by signal %d", WTERMSIG(status));
		rc = -EIO;
	}
	if (rc == 0)
		rc = kube_exec_parse(outb.data ? outb.data : "", outb.len, ex->api_version,
				     out, what, sizeof(what));
	if (outb.data)
		memset(outb.data, 0, outb.len);
	buf_release(&outb);
	if (rc < 0)
		snprintf(err, errlen, "exec plugin %s: %s", ex->command, what);
	return rc;
}
