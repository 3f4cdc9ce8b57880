#!/usr/bin/env bash
# Start one triage Job per node that carries LABEL (default: NVIDIA's GPU feature label).
# Usage: deploy/kubernetes/run-on-gpu-nodes.sh [LABEL]
set -euo pipefail
label=${1:-nvidia.com/gpu.present=true}
here=$(dirname "$0")
kubectl apply -f "$here/namespace.yaml"
for node in $(kubectl get nodes -l "$label" -o jsonpath='{.items[*].metadata.name}'); do
  sed "s/NODE_NAME/$node/g" "$here/job.yaml" | kubectl apply -f -
done
echo "bundles: /var/lib/irkit/bundles/NODE.zip on each node; kubectl -n irkit get jobs"
