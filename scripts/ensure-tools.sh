#!/usr/bin/env bash
# Tools the deployment tests need, installed when missing (npm test calls this):
#   haproxy   (Debian) — the rolling-restart test runs the real load balancer config
#   promtool  (Debian's prometheus package) — checks ops/prometheus/alerts.yml
#   helm      (Go module proxy, cached in GOPATH/bin) — lints and renders ops/helm/parley
set -euo pipefail
HELM_VERSION=v3.22.0
GOBIN="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"

need_apt=()
command -v haproxy >/dev/null || need_apt+=(haproxy)
command -v promtool >/dev/null || need_apt+=(prometheus)
if ((${#need_apt[@]})); then
  echo "installing ${need_apt[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null; }
  # The prometheus package starts a daemon on :9090 we do not want; the test only needs promtool.
  if [[ " ${need_apt[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi
# `go version -m` names the module version the binary was built from.
if ! go version -m "$GOBIN/helm" 2>/dev/null | grep -q "helm.sh/helm/v3[[:space:]]*$HELM_VERSION"; then
  echo "installing helm $HELM_VERSION (go install; a few minutes the first time)"
  GOFLAGS=-buildvcs=false go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi
echo "tools: $(haproxy -v | head -1 | cut -d' ' -f1-3); $(promtool --version 2>&1 | head -1); helm $HELM_VERSION"
