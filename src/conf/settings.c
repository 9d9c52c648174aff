#include <stddef.h>
#include "conf/config.h"
#include "base/banned.h"

#define NORANGE 1, 0

/*
 * Every setting of every command. The first part of a key names its file:
 * prometheus.* in prometheus.yaml, agent.* in agent_config.yaml, model.* in
 * model_config.yaml; the rest is its path in that file. docs/config.md
 * describes them; keep the two in step.
 */
const struct setting conf_settings[] = {
	{ "prometheus.enabled", CT_BOOL, "false", NULL, NORANGE, "query Prometheus for drops and custom metrics" },
	{ "prometheus.url", CT_STR, "http://localhost:9090", "PROMETHEUS_URL", NORANGE, "Prometheus base URL" },
	{ "prometheus.timeout", CT_DURATION, "10s", NULL, NORANGE, "timeout of one Prometheus query" },
	{ "prometheus.custom_metrics", CT_QUERIES, NULL, NULL, NORANGE, "extra PromQL series, each a CSV column and model input" },
	{ "prometheus.queries.net_rx_dropped_ps", CT_STR, NULL, NULL, NORANGE, "PromQL of received drops per pod (%s: namespace selector)" },
	{ "prometheus.queries.net_tx_dropped_ps", CT_STR, NULL, NULL, NORANGE, "PromQL of transmitted drops per pod (%s: namespace selector)" },
	{ "prometheus.collect.output_file", CT_STR, NULL, NULL, NORANGE, "collect: metrics CSV (agent.output_file for monitor)" },
	{ "prometheus.collect.namespace", CT_STR, NULL, NULL, NORANGE, "collect: namespace (agent.namespace for monitor)" },
	{ "prometheus.collect.interval", CT_DURATION, NULL, NULL, NORANGE, "collect: interval (agent.interval for monitor)" },
	{ "prometheus.collect.csv_format", CT_STR, NULL, NULL, NORANGE, "collect: native or seed" },
	{ "prometheus.collect.rotate_size", CT_NUM, NULL, NULL, 4096, 1e12, "collect: rotate the CSV past this size" },

	{ "agent.kubeconfig", CT_STR, NULL, "KUBECONFIG", NORANGE, "kubeconfig file(s), colon-separated" },
	{ "agent.context", CT_STR, NULL, NULL, NORANGE, "kubeconfig context (default: current-context)" },
	{ "agent.namespace", CT_STR, "default", "K8S_NAMESPACE", NORANGE, "namespace to watch" },
	{ "agent.all_namespaces", CT_BOOL, "false", NULL, NORANGE, "watch every namespace" },
	{ "agent.interval", CT_DURATION, "30s", NULL, NORANGE, "collection interval" },
	{ "agent.watch_interval", CT_DURATION, "10s", NULL, NORANGE, "how often agents look for new data" },
	{ "agent.output_file", CT_STR, "pod_metrics.csv", NULL, NORANGE, "metrics CSV" },
	{ "agent.csv_max_bytes", CT_NUM, "256Mi", NULL, 4096, 1e12, "rotate the CSV past this size" },
	{ "agent.insights_file", CT_STR, "pod_insights.json", NULL, NORANGE, "insights JSON" },
	{ "agent.history_file", CT_STR, "remediation_history.json", NULL, NORANGE, "remediation history JSON" },
	{ "agent.alert_threshold", CT_NUM, "0.7", "THRESHOLD,ANOMALY_THRESHOLD", 0, 1, "probability that opens an insight" },
	{ "agent.confidence_threshold", CT_NUM, "0.7", NULL, 0, 1, "probability below which nothing is proposed" },
	{ "agent.log_dir", CT_STR, ".", NULL, NORANGE, "directory of the log files" },
	{ "agent.log_level", CT_STR, "info", NULL, NORANGE, "debug, info, warn or error" },
	{ "agent.log_max_bytes", CT_NUM, "10Mi", NULL, 4096, 1e12, "rotate a log file past this size" },
	{ "agent.listen", CT_STR, "127.0.0.1:9101", NULL, NORANGE, "address of /metrics, /healthz, /api" },
	{ "agent.alertmanager_url", CT_STR, NULL, NULL, NORANGE, "Alertmanager base URL (alerts off when unset)" },
	{ "agent.approval_timeout", CT_DURATION, "60s", NULL, NORANGE, "an unanswered prompt is a refusal after this" },
	{ "agent.verify_window", CT_DURATION, "2m", NULL, NORANGE, "how long an action's effect is watched" },
	{ "agent.llm.enabled", CT_BOOL, "false", NULL, NORANGE, "explain insights with an LLM" },
	{ "agent.llm.base_url", CT_STR, "https://api.openai.com/v1", "OPENAI_BASE_URL", NORANGE, "OpenAI-compatible API base URL" },
	{ "agent.llm.model", CT_STR, "gpt-4o-mini", "LLM_MODEL", NORANGE, "model name" },
	{ "agent.llm.key_file", CT_STR, NULL, "OPENAI_API_KEY_FILE", NORANGE, "file holding the API key (else OPENAI_API_KEY)" },
	{ "agent.llm.timeout", CT_DURATION, "30s", NULL, NORANGE, "timeout of one LLM call" },
	{ "agent.llm.calls_per_minute", CT_INT, "10", NULL, 0, 10000, "LLM call budget" },
	{ "agent.policy.allow_namespaces", CT_LIST, NULL, NULL, NORANGE, "only these namespaces (empty: all not denied)" },
	{ "agent.policy.default_deny_namespaces", CT_LIST, "kube-system,kube-public,kube-node-lease", NULL, NORANGE, "never these namespaces; deny_namespaces adds to them ([] clears them)" },
	{ "agent.policy.deny_namespaces", CT_LIST, NULL, NULL, NORANGE, "never these namespaces either (added to default_deny_namespaces)" },
	{ "agent.policy.cooldown", CT_DURATION, "5m", NULL, NORANGE, "between two actions on one target" },
	{ "agent.policy.hourly_budget", CT_INT, "10", NULL, 0, 100000, "actions per rolling hour" },
	{ "agent.policy.min_replicas", CT_INT, "1", NULL, 0, 100000, "scale_deployment lower bound" },
	{ "agent.policy.max_replicas", CT_INT, "50", NULL, 1, 100000, "scale_deployment upper bound" },
	{ "agent.policy.max_scale_step", CT_INT, "5", NULL, 1, 100000, "replicas changed at once" },
	{ "agent.policy.max_limit_factor", CT_NUM, "2", NULL, 1, 100, "a limit changes at most this factor per step" },
	{ "agent.policy.max_cpu_limit", CT_NUM, "8", NULL, 0, 1e6, "CPU limit ceiling (cores)" },
	{ "agent.policy.max_memory_limit", CT_NUM, "16Gi", NULL, 0, 1e18, "memory limit ceiling (bytes)" },
	{ "agent.policy.max_cordoned_share", CT_NUM, "0.34", NULL, 0, 1, "share of nodes cordoned at once" },
	{ "agent.remediation.approval", CT_STR, "terminal", NULL, NORANGE, "who approves: terminal, auto or web (the page and POST /api/remediations/ID/approve)" },
	{ "agent.remediation.approval_ttl", CT_DURATION, "1h", NULL, NORANGE, "approval web: a proposal nobody decided is refused after this" },
	{ "agent.ui_token_file", CT_STR, NULL, "KUBEMEND_UI_TOKEN_FILE", NORANGE, "bearer token of the page's API (one line); needed to listen beyond loopback" },
	{ "agent.ui_auth_reads", CT_BOOL, "false", NULL, NORANGE, "reading /api/... needs the token (or a page session) too; always so beyond loopback" },
	{ "agent.notify.slack_url", CT_STR, NULL, "KUBEMEND_SLACK_WEBHOOK_URL", NORANGE, "Slack incoming webhook for insights and remediations" },
	{ "agent.notify.webhook_url", CT_STR, NULL, NULL, NORANGE, "generic JSON webhook for insights and remediations" },
	{ "agent.notify.webhook_secret_file", CT_STR, NULL, NULL, NORANGE, "HMAC-SHA256 key of the generic webhook (X-Kubemend-Signature)" },
	{ "agent.notify.page_url", CT_STR, NULL, NULL, NORANGE, "base URL of the page in notification links (default: http://LISTEN)" },
	{ "agent.policy.allow_bare_pods", CT_BOOL, "false", NULL, NORANGE, "restart pods without a controller" },

	{ "model.path", CT_STR, "models/default.kmm", "MODEL_PATH", NORANGE, "model file" },
	{ "model.window", CT_INT, "16", NULL, 2, 1024, "time steps per LSTM window" },
	{ "model.hidden", CT_INT, "32", NULL, 1, 4096, "LSTM hidden units" },
	{ "model.layers", CT_INT, "1", NULL, 1, 8, "LSTM layers" },
	{ "model.epochs", CT_INT, "20", NULL, 1, 100000, "training epochs" },
	{ "model.batch", CT_INT, "64", NULL, 1, 65536, "training batch size" },
	{ "model.learning_rate", CT_NUM, "0.001", NULL, 1e-9, 10, "Adam learning rate" },
	{ "model.seed", CT_INT, "42", NULL, 0, 4294967295.0, "training seed" },
	{ "model.features", CT_LIST, NULL, NULL, NORANGE, "the model's input columns" },
	{ "model.training.epochs", CT_INT, NULL, NULL, 1, 100000, "training epochs (train reads this section)" },
	{ "model.training.batch", CT_INT, NULL, NULL, 1, 65536, "training batch size" },
	{ "model.training.learning_rate", CT_NUM, NULL, NULL, 1e-9, 10, "Adam learning rate" },
	{ "model.training.clip_norm", CT_NUM, NULL, NULL, 0, 1e6, "gradient clipping norm" },
	{ "model.training.validation_fraction", CT_NUM, NULL, NULL, 0, 0.9, "share held back for early stopping" },
	{ "model.training.patience", CT_INT, NULL, NULL, 0, 100000, "epochs without improvement before stopping" },
	{ "model.training.seed", CT_INT, NULL, NULL, 0, 4294967295.0, "training seed" },
	{ "model.training.stride", CT_INT, NULL, NULL, 1, 100000, "every Nth window is a training example" },
};

const size_t conf_nsettings = sizeof(conf_settings) / sizeof(conf_settings[0]);
