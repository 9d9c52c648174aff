#ifndef CONF_CONFIG_H
#define CONF_CONFIG_H
/*
 * kubemend's settings, one precedence rule for all of them: flags override
 * environment variables, which override the config files
 * (config/prometheus.yaml, config/agent_config.yaml, config/model_config.yaml),
 * which override the defaults. Every setting is a row of a static table
 * (conf/settings.c); struct config holds the effective value of each and
 * where it came from, and owns those strings (config_release() frees them).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * CT_NUM accepts Kubernetes quantities too ("16Gi", "500m"); CT_LIST is a
 * YAML sequence of strings (comma-separated in the environment and flags);
 * CT_QUERIES a sequence of {name, query} maps, kept as "name\tquery" lines.
 */
enum conf_type { CT_STR, CT_INT, CT_NUM, CT_BOOL, CT_DURATION, CT_LIST, CT_QUERIES };
enum conf_source { CS_DEFAULT, CS_FILE, CS_ENV, CS_FLAG };

struct setting {
	const char *key;        /* "agent.alert_threshold": file and path in it */
	enum conf_type type;
	const char *def;        /* text form; NULL = unset */
	const char *env;        /* environment variables, comma-separated, first wins; or NULL */
	double min, max;        /* CT_INT/CT_NUM range (min > max: no range) */
	const char *help;
};

struct conf_value {
	char *text;             /* NULL = unset */
	enum conf_source source;
	char *origin;           /* "config/agent_config.yaml:12", "env THRESHOLD", "flag --x" */
};

struct config {
	const struct setting *table;
	size_t n;
	struct conf_value *vals;
};

/* The table of every setting (conf/settings.c). */
extern const struct setting conf_settings[];
extern const size_t conf_nsettings;

void config_init(struct config *c);
void config_release(struct config *c);

/*
 * Reads <dir>/prometheus.yaml, agent_config.yaml and model_config.yaml where
 * they exist (a missing file is fine). The top-level key of a setting names
 * its file: "prometheus.*", "agent.*", "model.*". Unknown keys, wrong types
 * and out-of-range values are errors "FILE:LINE:COL: key: what".
 */
int config_load_dir(struct config *c, const char *dir, char *err, size_t errlen);
/* One file, for the settings under prefix ("agent"). */
int config_load_file(struct config *c, const char *path, const char *prefix,
		     char *err, size_t errlen);
/* Applies the environment (getenv); errors name the variable. */
int config_load_env(struct config *c, char *err, size_t errlen);
/* A flag's value for key; flag is its spelling for messages ("--interval"). */
int config_set_flag(struct config *c, const char *key, const char *flag,
		    const char *value, char *err, size_t errlen);

/* Typed reads; the key must be in the table (else abort: a programming error). */
const char *config_str(const struct config *c, const char *key);   /* NULL if unset */
int64_t config_int(const struct config *c, const char *key);
double config_num(const struct config *c, const char *key);
bool config_bool(const struct config *c, const char *key);
int64_t config_duration_ms(const struct config *c, const char *key);
const struct conf_value *config_value(const struct config *c, const char *key);

/* "key = value  (source)" for every setting, for `kubemend config show`. */
void config_show(const struct config *c, void (*line)(void *ctx, const char *text),
		 void *ctx);

#endif
