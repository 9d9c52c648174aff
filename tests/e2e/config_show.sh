#!/usr/bin/env bash
# `kubemend config show`: flags > environment > files > defaults, with provenance.
set -euo pipefail
d=$TMPDIR_E2E/conf
mkdir -p "$d"
printf 'alert_threshold: 0.8\nnamespace: shop\n' > "$d/agent_config.yaml"

out=$(env -u THRESHOLD -u ANOMALY_THRESHOLD -u K8S_NAMESPACE "$KUBEMEND" config show --config-dir "$d")
echo "$out" | grep -qx 'agent.alert_threshold *= 0.8  # .*/agent_config.yaml:1'
echo "$out" | grep -qx 'agent.namespace *= shop  # .*/agent_config.yaml:2'
echo "$out" | grep -qx 'agent.interval *= 30s  # default'

out=$(ANOMALY_THRESHOLD=0.9 K8S_NAMESPACE=payments "$KUBEMEND" config show --config-dir "$d")
echo "$out" | grep -qx 'agent.alert_threshold *= 0.9  # env ANOMALY_THRESHOLD'
echo "$out" | grep -qx 'agent.namespace *= payments  # env K8S_NAMESPACE'

# an invalid value names file, line, column and key; exit 1
printf 'policy:\n  cooldown: soon\n' > "$d/agent_config.yaml"
if "$KUBEMEND" config show --config-dir "$d" >/dev/null 2>"$d/err"; then
  echo "invalid config accepted"; exit 1
fi
grep -q 'agent_config.yaml:2:13: agent.policy.cooldown: not a duration' "$d/err"
[ "$(wc -l < "$d/err")" -eq 1 ]

# a missing directory given explicitly is an error; usage errors exit 2
! "$KUBEMEND" config show --config-dir "$d/nope" 2>/dev/null
set +e
"$KUBEMEND" config frobnicate 2>/dev/null; rc=$?
set -e
[ $rc -eq 2 ]
echo ok
