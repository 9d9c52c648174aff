#!/usr/bin/env bash
# Authentication paths end to end: HTTPS with the CA and a client
# certificate from inline kubeconfig data (sim --tls), a bearer token from
# an exec credential plugin (v1 and v1beta1), a KUBECONFIG list merged as
# kubectl merges it, and K8S_NAMESPACE.
source tests/e2e/lib/collect.sh
need_sim

start_sim tls --tls --speed 0 --nodes 2 --pods 6
grep -q "certificate-authority-data" "$KC" || fail "the sim's --tls kubeconfig has no CA data"
out=$TMPDIR_E2E/tls.csv
"$KUBEMEND" collect --kubeconfig "$KC" -A --cycles 1 --output-file "$out" 2>"$TMPDIR_E2E/tls.log" \
  || { cat "$TMPDIR_E2E/tls.log"; fail "collect over HTTPS failed"; }
[ "$(tail -n +2 "$out" | wc -l)" -ge 6 ] || fail "too few rows over HTTPS"
"$KUBEMEND" collect --kubeconfig "$KC" --test >"$TMPDIR_E2E/tls.test" || { cat "$TMPDIR_E2E/tls.test"; fail "--test over HTTPS"; }
# Without the CA the server is not trusted (and no insecure fallback happens).
grep -v "certificate-authority-data" "$KC" >"$TMPDIR_E2E/noca.yaml"
! "$KUBEMEND" collect --kubeconfig "$TMPDIR_E2E/noca.yaml" -A --cycles 1 --output-file "$TMPDIR_E2E/x.csv" 2>"$TMPDIR_E2E/noca.err" \
  || fail "an untrusted server was accepted"
grep -qi "certificate" "$TMPDIR_E2E/noca.err" || { cat "$TMPDIR_E2E/noca.err"; fail "no certificate error"; }

# The same with the CA, certificate and key as files beside the kubeconfig
# (relative paths), and the client certificate alone (no token).
mkdir -p "$TMPDIR_E2E/files"
for f in certificate-authority client-certificate client-key; do
  awk -v k="$f-data:" '$1 == k {print $2; exit}' "$KC" | base64 -d >"$TMPDIR_E2E/files/$f.pem"
  [ -s "$TMPDIR_E2E/files/$f.pem" ] || fail "no $f-data in the sim's kubeconfig"
done
sed -e "s|certificate-authority-data: .*|certificate-authority: certificate-authority.pem|" \
    -e "s|client-certificate-data: .*|client-certificate: client-certificate.pem|" \
    -e "s|client-key-data: .*|client-key: client-key.pem|" -e "/token:/d" "$KC" >"$TMPDIR_E2E/files/kc.yaml"
"$KUBEMEND" collect --kubeconfig "$TMPDIR_E2E/files/kc.yaml" -A --cycles 1 --output-file "$TMPDIR_E2E/files.csv" \
  2>"$TMPDIR_E2E/files.log" || { cat "$TMPDIR_E2E/files.log"; fail "collect with certificate files failed"; }
[ "$(tail -n +2 "$TMPDIR_E2E/files.csv" | wc -l)" -ge 6 ] || fail "too few rows with certificate files"

# An exec plugin that hands out the sim's token.
start_sim plain --speed 0 --nodes 1 --pods 3
cat >"$TMPDIR_E2E/plugin.sh" <<PLUGIN
#!/bin/sh
echo "\$@" >> "$TMPDIR_E2E/plugin.calls"
api=\$(printf '%s' "\$KUBERNETES_EXEC_INFO" | sed 's/.*"apiVersion":"\([^"]*\)".*/\1/')
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s"}}\n' "\$api" "\$SIM_TOKEN"
PLUGIN
chmod +x "$TMPDIR_E2E/plugin.sh"
# The sim here is plain HTTP: a token (from a plugin too) is not sent unless
# KUBEMEND_ALLOW_HTTP_TOKEN=1, so the plugins below run with it (issue 18, L1).
export KUBEMEND_ALLOW_HTTP_TOKEN=1
for v in v1 v1beta1; do
  cat >"$TMPDIR_E2E/exec-$v.yaml" <<YAML
apiVersion: v1
kind: Config
current-context: ex
clusters:
- name: c
  cluster: {server: "$SERVER"}
contexts:
- name: ex
  context: {cluster: c, user: u, namespace: kube-system}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/$v
      command: $TMPDIR_E2E/plugin.sh
      args: ["--for", "$v"]
      env: [{name: SIM_TOKEN, value: "$TOKEN"}]
YAML
  "$KUBEMEND" collect --kubeconfig "$TMPDIR_E2E/exec-$v.yaml" --namespace default --cycles 2 --interval 0.2 \
    --output-file "$TMPDIR_E2E/exec-$v.csv" 2>"$TMPDIR_E2E/exec.log" || { cat "$TMPDIR_E2E/exec.log"; fail "exec $v"; }
  grep -q -- "--for $v" "$TMPDIR_E2E/plugin.calls" || fail "plugin $v not called with its args"
  grep -q "sending the bearer token .* over plain HTTP" "$TMPDIR_E2E/exec.log" || fail "no warning about the token over HTTP"
done
# Not allowed: the plugin is not even asked, and the user is told why.
calls=$(wc -l <"$TMPDIR_E2E/plugin.calls")
env -u KUBEMEND_ALLOW_HTTP_TOKEN "$KUBEMEND" collect --kubeconfig "$TMPDIR_E2E/exec-v1.yaml" --namespace default --cycles 1 \
  --output-file "$TMPDIR_E2E/exec-plain.csv" 2>"$TMPDIR_E2E/exec.log" || { cat "$TMPDIR_E2E/exec.log"; fail "exec over plain HTTP"; }
[ "$(wc -l <"$TMPDIR_E2E/plugin.calls")" = "$calls" ] || fail "the plugin ran for a plain-HTTP server"
grep -q "not sending the bearer token" "$TMPDIR_E2E/exec.log" || { cat "$TMPDIR_E2E/exec.log"; fail "no notice that the token is withheld"; }

# Without --namespace, the context's namespace (kube-system) is collected.
"$KUBEMEND" collect --kubeconfig "$TMPDIR_E2E/exec-v1.yaml" --cycles 1 --output-file "$TMPDIR_E2E/ctxns.csv" 2>/dev/null \
  || fail "collect in the context's namespace"
c_ns=$(csv_col "$TMPDIR_E2E/ctxns.csv" namespace)
[ "$(tail -n +2 "$TMPDIR_E2E/ctxns.csv" | cut -d, -f"$c_ns" | sort -u)" = kube-system ] || fail "the context's namespace was not used"

# KUBECONFIG lists: the first file's context wins; K8S_NAMESPACE picks the namespace.
sed "s/namespace: kube-system/namespace: nowhere/; s/name: ex/name: other/; s/current-context: ex/current-context: other/" \
  "$TMPDIR_E2E/exec-v1.yaml" >"$TMPDIR_E2E/second.yaml"
KUBECONFIG="$TMPDIR_E2E/missing.yaml:$TMPDIR_E2E/exec-v1.yaml:$TMPDIR_E2E/second.yaml" K8S_NAMESPACE=kube-system \
  "$KUBEMEND" collect --cycles 1 --output-file "$TMPDIR_E2E/env.csv" 2>"$TMPDIR_E2E/env.log" || { cat "$TMPDIR_E2E/env.log"; fail "KUBECONFIG list"; }
grep -q 'context=ex ' "$TMPDIR_E2E/env.log" || { cat "$TMPDIR_E2E/env.log"; fail "not the first file's current-context"; }
c_ns=$(csv_col "$TMPDIR_E2E/env.csv" namespace)
[ "$(tail -n +2 "$TMPDIR_E2E/env.csv" | cut -d, -f"$c_ns" | sort -u)" = kube-system ] || fail "K8S_NAMESPACE ignored"
echo "ok: TLS with client certificates, exec plugins, KUBECONFIG lists"
