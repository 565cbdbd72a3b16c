# tests/lib/kubectl.sh - which kubectl the tests compare with. Sourced.
# A fresh Debian 12 gets kubectl 1.20 (kubernetes-client) from `make deps`;
# other machines have a current one. Podium follows kubectl 1.32 where the
# two print differently, so a test compares with what the installed kubectl
# prints where the difference is the client's, and says when it skips one
# comparison because of the client's age.
# KUBECTL_MINOR: the client's minor version (0 when unknown).
KUBECTL_MINOR=$(kubectl version --client -o json 2>/dev/null |
	sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -1)
KUBECTL_MINOR=${KUBECTL_MINOR:-0}

# kubectl_before MINOR: true when the installed kubectl is older than 1.MINOR.
kubectl_before() { [ "$KUBECTL_MINOR" -lt "$1" ]; }

# kubectl_skip WHAT: say that one comparison is skipped for this kubectl.
kubectl_skip() { echo "skipped with kubectl 1.$KUBECTL_MINOR: $*"; }
