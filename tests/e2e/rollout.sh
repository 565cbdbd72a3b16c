#!/usr/bin/env bash
# rollout.sh - `p` on the models view: the gated canary rollout driven from
# the dashboard. An image of the model the deployment serves agrees and is
# promoted (the deployment ends on the new image, the canary gone); an
# image of another model disagrees and is refused (the deployment keeps
# its image, the canary gone). Each step is read on the screen as it
# happens, and the progress bars are seen; --readonly refuses the key.
set -u
source "$TOP/tests/lib/tmux.sh"
source "$TOP/tests/lib/sim.sh"
E2E_EXTRA_CLEANUP=sim_cleanup
[ -d /usr/share/datasets/fashion-mnist ] || { echo "no Fashion-MNIST data set"; exit 77; }

# Short paths: the dialogs show them whole in their fields. The model
# file is named as the deployment's model (its podium.dev/model label).
MD=$(mktemp -d /tmp/pr.XXXXXX)
E2E_EXTRA_CLEANUP='sim_cleanup; rm -rf "$MD"'
A=$MD/fash.safetensors B=$MD/b.safetensors
"$PODIUM" model train --limit 2000 --epochs 1 --seed 1 -o "$A" >/dev/null 2>&1 || { echo "cannot train model A"; exit 1; }
"$PODIUM" model train --limit 1000 --epochs 1 --seed 2 -o "$B" >/dev/null 2>&1 || { echo "cannot train model B"; exit 1; }

sim_start m --speed 10 || exit 1
KC=$SIM_TMP/m.kc
p() { timeout 60 "$PODIUM" --kubeconfig "$KC" -n default "$@"; }
# the versions, built into the simulated registry; a:1 deployed as podium
# deploy makes model deployments (the seeded demo's selector is not the
# one podium deploy applies, so it cannot be promoted by an apply)
for ref in "$A a:1" "$A a:2" "$B b:1"; do
	set -- $ref
	p build "$1" --image "registry.local/models/$2" --wait >/dev/null 2>&1 || { echo "cannot build $2"; exit 1; }
done
p deploy fash --image registry.local/models/a:1 --model "$A" --replicas 2 >/dev/null || { echo "cannot deploy"; exit 1; }
sim_wait "the model deployment ready" sh -c "$PODIUM --kubeconfig $KC get models -n default | grep -q ' 2/2 '" || exit 1
image() {
	p get deploy fash -o json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["template"]["spec"]["containers"][0]["image"])'
}
OLD=$(image)
[ "$OLD" = registry.local/models/a:1 ] || { echo "the deployment runs '$OLD'"; exit 1; }

# screens until TEXT shows (or SECONDS pass), all kept in $E2E_TMP/screens
watch_until() {
	local text=$1 secs=$2 i
	: >"$E2E_TMP/screens"
	for ((i = 0; i < secs * 20; i++)); do
		e2e_screen >>"$E2E_TMP/screens"
		grep -qF -- "$text" "$E2E_TMP/screens" && return 0
		sleep 0.05
	done
	return 1
}

# rollout IMAGE: p, the dialog filled in (300 test images), enter
rollout() {
	e2e_keys p
	e2e_wait "Roll out fash behind a canary" || fail "no rollout dialog"
	e2e_wait "new image" || fail "no image field"
	# the deployment's own image is offered: replace it
	for i in $(seq 1 $((${#OLD} + 10))); do e2e_keys BSpace; done
	e2e_type "$1"
	e2e_keys Tab
	e2e_wait "model file" || fail "no model field"
	if ! e2e_screen | grep -qF "$A"; then e2e_type "$A"; fi
	e2e_keys Tab Tab Tab BSpace BSpace BSpace BSpace
	e2e_type "300"
	e2e_keys Enter
	e2e_wait "rollout:fash" || fail "no rollout view"
}

e2e_start 160 45 "$PODIUM" --kubeconfig "$KC" -c models
e2e_wait "fash " 20 || fail "no model row"

# --- an image that agrees: promoted --------------------------------------
rollout registry.local/models/a:2
watch_until "result: promoted" 90 || fail "not promoted"
s=$E2E_TMP/screens
grep -qF "rolling out registry.local/models/a:2" "$s" || fail "no opening line"
grep -qF "==> deploying canary deployment/fash-canary: registry.local/models/a:2, 1 replica behind service/fash" "$s" ||
	fail "no canary step"
grep -qF "==> waiting for the canary to be ready" "$s" || fail "no wait step"
grep -qE "replicas ready" "$s" || fail "no readiness bar"
grep -qF "==> comparing the canary's live predictions with $A (300 images, 1 pod)" "$s" || fail "no compare step"
grep -qF "agreement 100.00% (300/300)" "$s" || fail "no agreement line"
grep -qF "==> agreement 100.00% >= 99.50%: promoting deployment/fash to registry.local/models/a:2" "$s" ||
	fail "no promote step"
grep -qF "==> waiting for deployment/fash to roll out" "$s" || fail "no roll-out step"
grep -qF "==> removing canary deployment/fash-canary" "$s" || fail "no cleanup step"
e2e_screen | grep -qF "result: promoted; deployment/fash runs registry.local/models/a:2" || fail "no result line"
[ "$(image)" = registry.local/models/a:2 ] || fail "the deployment runs $(image) after promotion"
p get deploy fash-canary >/dev/null 2>&1 && fail "the canary stayed after promotion"
e2e_keys Escape
e2e_wait_gone "rollout:" || fail "esc did not leave the rollout view"

# --- an image of another model: refused ----------------------------------
OLD=registry.local/models/a:2
rollout registry.local/models/b:1
watch_until "result: refused" 90 || fail "not refused"
s=$E2E_TMP/screens
grep -qF "==> deploying canary deployment/fash-canary: registry.local/models/b:1" "$s" || fail "no canary step"
grep -qE "comparing: [0-9]+/300 images answered, agreement so far" "$s" ||
	grep -qF "==> comparing the canary's live predictions" "$s" || fail "no compare step"
grep -qF "==> refused: agreement" "$s" || fail "no refusal step"
grep -qF "==> removing canary deployment/fash-canary" "$s" || fail "no cleanup step"
e2e_screen | grep -qF "result: refused; deployment/fash untouched (still registry.local/models/a:2)" ||
	fail "no refusal result"
[ "$(image)" = registry.local/models/a:2 ] || fail "the deployment runs $(image) after a refusal"
p get deploy fash-canary >/dev/null 2>&1 && fail "the refused canary stayed"
e2e_keys Escape
e2e_stop

# --- --readonly refuses the key --------------------------------------------
e2e_start 160 45 "$PODIUM" --kubeconfig "$KC" --readonly -c models
e2e_wait "fash " 20 || fail "no model row (readonly)"
e2e_keys p
e2e_wait "--readonly: promote" || fail "--readonly did not refuse p"
e2e_screen | grep -qF "Roll out" && fail "a rollout dialog under --readonly"
echo "rollout e2e ok"
