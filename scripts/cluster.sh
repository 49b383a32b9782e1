#!/usr/bin/env bash
# The local kind cluster and what runs on it; the Makefile's cluster targets call this.
#
#   scripts/cluster.sh up                 make cluster: the registry on 127.0.0.1:5001 + the cluster
#   scripts/cluster.sh down               make cluster-down: remove both
#   scripts/cluster.sh deploy TAG [FILE]  make deploy: build and kind load the TAG images, helm upgrade
#   scripts/cluster.sh undeploy           make undeploy: helm uninstall the release
#
# `up` follows kind's local-registry recipe (kind.sigs.k8s.io/docs/user/local-registry): the
# containerd patch lives in kind-config.yaml; the rest cannot, so it is done here: a registry
# container, a hosts.toml on each node that points localhost:5001 at it, the registry on the
# `kind` network, and the local-registry-hosting ConfigMap that tells Tilt where to push.
# Every step checks first, so running `up` or `down` twice is harmless.
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER="${CLUSTER:-demand-supply-sim}"
CONTEXT="kind-${CLUSTER}"
RELEASE="${RELEASE:-dss}"
CHART="charts/demand-supply-sim"
REGISTRY_NAME="${REGISTRY_NAME:-${CLUSTER}-registry}"
REGISTRY_PORT="${REGISTRY_PORT:-5001}"
REGISTRY_IMAGE="${REGISTRY_IMAGE:-registry:3}"
HELM_TIMEOUT="${HELM_TIMEOUT:-10m}"
IMAGES=(demand-supply-sim/inventory demand-supply-sim/store demand-supply-sim/customer-sim)

say() { printf '%s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Stop with one message naming every missing tool and where to get it.
require() {
  local what="$1"; shift
  local missing=()
  for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  {
    printf '%s needs: %s. Not found on PATH: %s\n' "$what" "$*" "${missing[*]}"
    for tool in "${missing[@]}"; do
      case "$tool" in
        docker) say "  docker:  https://docs.docker.com/engine/install/ (the daemon must be running)" ;;
        kind) say "  kind:    https://kind.sigs.k8s.io/docs/user/quick-start/#installation" ;;
        kubectl) say "  kubectl: https://kubernetes.io/docs/tasks/tools/" ;;
        helm) say "  helm:    https://helm.sh/docs/intro/install/" ;;
      esac
    done
  } >&2
  exit 1
}

cluster_exists() { kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; }
registry_state() { docker inspect -f '{{.State.Running}}' "$REGISTRY_NAME" 2>/dev/null || true; }

up() {
  require "make cluster" docker kind kubectl
  docker info >/dev/null 2>&1 || fail "docker is installed but its daemon does not answer (is it running?)"

  case "$(registry_state)" in
    true) say "registry  $REGISTRY_NAME already running on 127.0.0.1:$REGISTRY_PORT" ;;
    false) docker start "$REGISTRY_NAME" >/dev/null && say "registry  $REGISTRY_NAME restarted" ;;
    *)
      docker run -d --restart=always -p "127.0.0.1:${REGISTRY_PORT}:5000" --network bridge \
        --name "$REGISTRY_NAME" "$REGISTRY_IMAGE" >/dev/null
      say "registry  $REGISTRY_NAME started on 127.0.0.1:$REGISTRY_PORT ($REGISTRY_IMAGE)"
      ;;
  esac

  if cluster_exists; then
    say "cluster   $CLUSTER already exists"
  else
    say "cluster   creating $CLUSTER (kind-config.yaml)"
    kind create cluster --config kind-config.yaml --name "$CLUSTER"
  fi

  # Inside a node, localhost is the node: point localhost:5001 at the registry container.
  local registry_dir="/etc/containerd/certs.d/localhost:${REGISTRY_PORT}"
  for node in $(kind get nodes --name "$CLUSTER"); do
    docker exec "$node" mkdir -p "$registry_dir"
    printf '[host."http://%s:5000"]\n' "$REGISTRY_NAME" |
      docker exec -i "$node" cp /dev/stdin "$registry_dir/hosts.toml"
  done

  if [ "$(docker inspect -f '{{json .NetworkSettings.Networks.kind}}' "$REGISTRY_NAME")" = "null" ]; then
    docker network connect kind "$REGISTRY_NAME"
  fi

  kubectl --context "$CONTEXT" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: "localhost:${REGISTRY_PORT}"
    help: "https://kind.sigs.k8s.io/docs/user/local-registry/"
EOF
  say "ready     kubectl context $CONTEXT; images pushed to localhost:$REGISTRY_PORT reach the nodes"
  say "next      make dev (tilt up), or make deploy"
}

down() {
  require "make cluster-down" docker kind
  if cluster_exists; then
    kind delete cluster --name "$CLUSTER"
  else
    say "cluster   $CLUSTER does not exist"
  fi
  if [ -n "$(registry_state)" ]; then
    docker rm -f "$REGISTRY_NAME" >/dev/null
    say "registry  $REGISTRY_NAME removed"
  else
    say "registry  $REGISTRY_NAME does not exist"
  fi
}

deploy() {
  local tag="${1:?usage: cluster.sh deploy TAG [VALUES_FILE]}" values="${2:-}"
  require "make deploy" docker kind helm
  cluster_exists || fail "no kind cluster $CLUSTER: run make cluster first"
  "${PYTHON:-python3}" scripts/images.py build --tag "$tag"
  for image in "${IMAGES[@]}"; do
    say "loading   $image:$tag into $CLUSTER"
    kind load docker-image "$image:$tag" --name "$CLUSTER"
  done
  local args=(upgrade --install "$RELEASE" "$CHART" --kube-context "$CONTEXT"
    --set "image.tag=$tag" --wait --timeout "$HELM_TIMEOUT")
  [ -n "$values" ] && args+=(--values "$values")
  say "helm      ${args[*]}"
  helm "${args[@]}"
}

undeploy() {
  require "make undeploy" helm
  if helm status "$RELEASE" --kube-context "$CONTEXT" >/dev/null 2>&1; then
    helm uninstall "$RELEASE" --kube-context "$CONTEXT" --wait
  else
    say "release   $RELEASE is not installed in $CONTEXT"
  fi
  say "kept      Secret $RELEASE-database and PVC data-$RELEASE-postgres-0 (the database and its"
  say "          passwords); to start afresh: kubectl --context $CONTEXT delete secret/$RELEASE-database pvc/data-$RELEASE-postgres-0"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  deploy) shift; deploy "$@" ;;
  undeploy) undeploy ;;
  *) fail "usage: scripts/cluster.sh up|down|deploy TAG [VALUES_FILE]|undeploy" ;;
esac
