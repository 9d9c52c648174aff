# Starting and stopping a real control plane on loopback. Sourced, not run.
#
#   cp_up BINDIR DIR    etcd, kube-apiserver and kube-controller-manager from
#                       BINDIR, state and logs in DIR; writes DIR/admin.kubeconfig
#                       (system:masters), DIR/nobody.kubeconfig (an authenticated
#                       user with no RBAC rules), sets CP_SERVER and CP_CA.
#   cp_down             stops what cp_up started (by PID), also after a failure.
#
# Certificates, the service-account key and the token file are made fresh for
# every run. Ports: the kernel picks a free one (bind to port 0, read it back);
# a server that then finds it taken is started again on a new one.

CP_PIDS=()

cp_log() { echo "test-apiserver: $*" >&2; }

# A port the kernel picked for us, free when we asked.
cp_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cp_down() {
	local i p t
	# Last started first (the controller-manager, then the apiserver, then
	# etcd: an apiserver whose etcd is gone can hang in its graceful
	# shutdown). Each gets 10 s after SIGTERM, then SIGKILL.
	# (|| true: callers run under set -e, and a killed child's wait is 143)
	for ((i = ${#CP_PIDS[@]} - 1; i >= 0; i--)); do
		p=${CP_PIDS[i]:-}
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null || true
		for ((t = 0; t < 100; t++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	CP_PIDS=()
	return 0
}

# cp_wait NAME PID SECONDS CMD...: waits until CMD succeeds; fails if PID died.
cp_wait() {
	local name=$1 pid=$2 secs=$3 end
	shift 3
	end=$(( $(date +%s) + secs ))
	while [ "$(date +%s)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || { cp_log "$name exited"; return 2; }
		sleep 0.2
	done
	cp_log "$name not ready after ${secs}s"
	return 1
}

cp_certs() { # cp_certs DIR
	local d=$1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=kubemend-test-ca \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver \
		-keyout "$d/apiserver.key" -out "$d/apiserver.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1\nextendedKeyUsage=serverAuth\n' >"$d/san.ext"
	openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/san.ext" -out "$d/apiserver.crt" 2>/dev/null
	openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
	openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
}

cp_kubeconfig() { # cp_kubeconfig FILE SERVER CA TOKEN (CA "" for plain http)
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: real
  cluster:
    server: $2
${3:+    certificate-authority: $3}
users:
- name: u
  user:
    token: $4
contexts:
- name: real
  context: {cluster: real, user: u, namespace: default}
current-context: real
EOF
	chmod 600 "$1"
}

cp_etcd() { # cp_etcd BINDIR DIR: sets CP_ETCD
	local bin=$1 d=$2 try cport pport
	for try in 1 2 3; do
		cport=$(cp_free_port); pport=$(cp_free_port)
		rm -rf "$d/etcd"
		"$bin/etcd" --name kubemend-test --data-dir "$d/etcd" \
			--listen-client-urls "http://127.0.0.1:$cport" --advertise-client-urls "http://127.0.0.1:$cport" \
			--listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
			--initial-cluster "kubemend-test=http://127.0.0.1:$pport" \
			--quota-backend-bytes 1073741824 --log-level warn >"$d/etcd.log" 2>&1 &
		CP_PIDS+=($!)
		if cp_wait etcd $! 60 curl -fsS "http://127.0.0.1:$cport/health"; then
			CP_ETCD=http://127.0.0.1:$cport
			return 0
		fi
		kill "${CP_PIDS[-1]}" 2>/dev/null || true; wait "${CP_PIDS[-1]}" 2>/dev/null || true
		unset 'CP_PIDS[-1]'
		grep -q 'address already in use' "$d/etcd.log" || { tail -20 "$d/etcd.log" >&2; return 1; }
	done
	return 1
}

cp_apiserver() { # cp_apiserver BINDIR DIR: sets CP_SERVER
	local bin=$1 d=$2 try port
	for try in 1 2 3; do
		port=$(cp_free_port)
		"$bin/kube-apiserver" --etcd-servers "$CP_ETCD" --etcd-prefix /registry \
			--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$port" \
			--tls-cert-file "$d/apiserver.crt" --tls-private-key-file "$d/apiserver.key" \
			--client-ca-file "$d/ca.crt" \
			--token-auth-file "$d/tokens.csv" --authorization-mode RBAC \
			--service-cluster-ip-range 10.0.0.0/24 \
			--service-account-issuer https://kubernetes.default.svc \
			--service-account-key-file "$d/sa.pub" --service-account-signing-key-file "$d/sa.key" \
			--enable-priority-and-fairness=false \
			--cert-dir "$d/certs" >"$d/apiserver.log" 2>&1 &
		CP_PIDS+=($!)
		if cp_wait kube-apiserver $! 180 curl -fsS --cacert "$d/ca.crt" \
			-H "Authorization: Bearer $CP_ADMIN_TOKEN" "https://127.0.0.1:$port/readyz"; then
			CP_SERVER=https://127.0.0.1:$port
			return 0
		fi
		kill "${CP_PIDS[-1]}" 2>/dev/null || true; wait "${CP_PIDS[-1]}" 2>/dev/null || true
		unset 'CP_PIDS[-1]'
		grep -q 'address already in use' "$d/apiserver.log" || { tail -30 "$d/apiserver.log" >&2; return 1; }
	done
	return 1
}

cp_up() { # cp_up BINDIR DIR
	local bin=$1 d=$2 t0
	t0=$(date +%s)
	mkdir -p "$d/certs"
	cp_certs "$d"
	CP_ADMIN_TOKEN=$(openssl rand -hex 24)
	CP_NOBODY_TOKEN=$(openssl rand -hex 24)
	local kcm_token
	kcm_token=$(openssl rand -hex 24)
	{
		echo "$CP_ADMIN_TOKEN,kubemend-admin,uid-admin,\"system:masters\""
		echo "$kcm_token,system:kube-controller-manager,uid-kcm,\"system:masters\""
		echo "$CP_NOBODY_TOKEN,kubemend-nobody,uid-nobody"
	} >"$d/tokens.csv"
	chmod 600 "$d/tokens.csv"
	cp_etcd "$bin" "$d" || { cp_log "etcd did not start (log: $d/etcd.log)"; return 1; }
	cp_apiserver "$bin" "$d" || { cp_log "kube-apiserver did not start (log: $d/apiserver.log)"; return 1; }
	# Once more: a first start fills an empty etcd (namespaces, RBAC roles),
	# and its watch caches begin at revision 1, so no version is ever too old.
	# Restarted, they begin after all that, as on any cluster that has run a
	# while, and a watch from an old version gets its 410.
	kill "${CP_PIDS[-1]}"; wait "${CP_PIDS[-1]}" 2>/dev/null || true
	unset 'CP_PIDS[-1]'
	mv "$d/apiserver.log" "$d/apiserver-first.log"
	cp_apiserver "$bin" "$d" || { cp_log "kube-apiserver did not start again (log: $d/apiserver.log)"; return 1; }
	CP_CA=$d/ca.crt
	cp_kubeconfig "$d/admin.kubeconfig" "$CP_SERVER" "$CP_CA" "$CP_ADMIN_TOKEN"
	cp_kubeconfig "$d/nobody.kubeconfig" "$CP_SERVER" "$CP_CA" "$CP_NOBODY_TOKEN"
	cp_kubeconfig "$d/kcm.kubeconfig" "$CP_SERVER" "$CP_CA" "$kcm_token"
	"$bin/kube-controller-manager" --kubeconfig "$d/kcm.kubeconfig" --leader-elect=false \
		--secure-port=0 --use-service-account-credentials=false \
		--service-account-private-key-file "$d/sa.key" --root-ca-file "$d/ca.crt" \
		--controllers=serviceaccount-controller,serviceaccount-token-controller,deployment-controller,replicaset-controller,disruption-controller,garbage-collector-controller,namespace-controller \
		>"$d/controller-manager.log" 2>&1 &
	CP_PIDS+=($!)
	# The controller-manager is working once it made the default ServiceAccount.
	cp_wait kube-controller-manager $! 120 curl -fsS --cacert "$CP_CA" \
		-H "Authorization: Bearer $CP_ADMIN_TOKEN" "$CP_SERVER/api/v1/namespaces/default/serviceaccounts/default" \
		|| { tail -20 "$d/controller-manager.log" >&2; return 1; }
	cp_log "control plane up at $CP_SERVER in $(( $(date +%s) - t0 ))s (logs in $d)"
}
