#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include "cli/cli.h"
#include "detect/podmodel.h"
#include "conf/config.h"
#include "base/banned.h"

static void print_line(void *ctx, const char *text)
{
	fprintf(ctx, "%s\n", text);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kubemend config show [--config-dir DIR]\n"
		"\n"
		"Prints every setting's effective value and where it came from:\n"
		"a flag, an environment variable, a config file (FILE:LINE) or the default.\n"
		"\n"
		"  --config-dir DIR   where prometheus.yaml, agent_config.yaml and\n"
		"                     model_config.yaml live (default: $KUBEMEND_CONFIG_DIR or config)\n");
}

int cli_load_config(struct config *c, const char *dir)
{
	char err[512];

	struct stat st;

	config_init(c);
	if (!dir)
		dir = getenv("KUBEMEND_CONFIG_DIR");
	if (dir && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
		/* only the implicit default may be missing */
		fprintf(stderr, "kubemend: config directory '%s' not found\n", dir);
		config_release(c);
		return -1;
	}
	if (!dir)
		dir = "config";
	if (config_load_dir(c, dir, err, sizeof(err)) ||
	    config_load_env(c, err, sizeof(err))) {
		fprintf(stderr, "kubemend: %s\n", err);
		config_release(c);
		return -1;
	}
	return 0;
}

int monitor_load_config(struct config *c, const char *dir, const struct flag_value *flags,
			size_t nflags, const char *who)
{
	char err[512];

	if (cli_load_config(c, dir) < 0)
		return -1;
	for (size_t i = 0; i < nflags; i++) {
		if (config_set_flag(c, flags[i].key, flags[i].flag, flags[i].value, err,
				    sizeof(err)) < 0) {
			fprintf(stderr, "kubemend %s: %s\n", who, err);
			config_release(c);
			return -1;
		}
	}
	return 0;
}

int cli_reload_config(void *ctx, struct config *out)
{
	const struct cli_reload *r = ctx;

	return monitor_load_config(out, r->dir, r->flags, r->nflags, r->who);
}

int cmd_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	struct config c;
	int ch;

	if (argc < 2 || strcmp(argv[1], "show") != 0) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return EXIT_USAGE;
	}
	optind = 1;
	while ((ch = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc - 1) {
		fprintf(stderr, "kubemend config show: unexpected argument '%s'\n", argv[optind + 1]);
		return EXIT_USAGE;
	}
	if (cli_load_config(&c, dir))
		return 1;
	config_show(&c, print_line, stdout);
	{
		struct lstm m = { 0 };
		const char *path;
		char err[512], line[1024];
		int loaded = pod_model_load(&c, NULL, &m, &path, err, sizeof(err));

		if (loaded < 0)
			printf("model in use: none (%s)\n", err);
		else {
			pod_model_describe(&m, loaded, path, line, sizeof(line));
			printf("model in use: %s%s\n", line,
			       loaded && !config_bool(&c, "model.lstm") ? " (LSTM component off)" : "");
		}
		if (loaded > 0)
			lstm_release(&m);
	}
	config_release(&c);
	return 0;
}
