#!/usr/bin/env bash
# compare_slow.sh - the dashboard never waits on the network: with every
# API request (the service proxy's infer calls included) slowed to 1.5 s by
# the simulated cluster's latency fault, `c` compares a model deployment
# while keys still answer at once (the `:` prompt shows well within one
# request's latency, the compare still in flight), then the comparison
# ends in full agreement with its requests sent several at a time; a
# compare closed with its requests out cancels them harmlessly; a scale
# sent under that latency leaves the keys answering and is said when its
# answer comes.
set -u
source "$TOP/tests/lib/tmux.sh"
source "$TOP/tests/lib/sim.sh"
E2E_EXTRA_CLEANUP=sim_cleanup
[ -d /usr/share/datasets/fashion-mnist ] || { echo "no Fashion-MNIST data set"; exit 77; }

MD=$(mktemp -d /tmp/pc.XXXXXX)
E2E_EXTRA_CLEANUP='sim_cleanup; rm -rf "$MD"'
A=$MD/a.safetensors
"$PODIUM" model train --limit 1000 --epochs 1 --seed 1 -o "$A" >/dev/null 2>&1 || { echo "cannot train a model"; exit 1; }

sim_start m --speed 20 --demo-model "$A" || exit 1
KC=$SIM_TMP/m.kc
sim_wait "the model deployment ready" sh -c "$PODIUM --kubeconfig $KC get models -n models | grep -q ' 2/2 '" || exit 1

e2e_start 150 40 "$PODIUM" --kubeconfig "$KC" -c models
e2e_wait "fashion-mnist" 20 || fail "no model row"
"$PODIUM" sim fault --kubeconfig "$KC" latency=1500 || fail "cannot slow the cluster down"

# 256 images in 8 requests of 32, 4 in flight: two rounds of 1.5 s after
# the Deployment's own 1.5 s GET
e2e_keys c
e2e_wait "Compare fashion-mnist" || fail "no compare dialog"
e2e_type "$A"; e2e_keys Tab BSpace BSpace BSpace; e2e_type "256"
started=$(date +%s%N)
e2e_keys Enter
e2e_wait "compare:fashion-mnist" || fail "no compare view"

# a key while the requests are out: the prompt shows at once
e2e_wait "images sent" 10 || fail "the compare did not start sending"
t0=$(date +%s%N)
e2e_keys :
ok=0
for i in $(seq 1 200); do
	if e2e_screen | tail -1 | grep -q '^:'; then ok=1; break; fi
	sleep 0.01
done
ms=$((($(date +%s%N) - t0) / 1000000))
[ $ok = 1 ] || fail "the : prompt did not show while the compare ran"
e2e_screen | grep -q "images sent" || fail "the compare was not in flight when the key was read"
[ "$ms" -lt 1000 ] || fail "the : prompt took ${ms} ms under 1.5 s requests: the loop waited on the network"
echo "the : prompt showed ${ms} ms after the key, the compare in flight"
e2e_keys Escape

e2e_wait "agreement 100.00% (256/256)" 40 || fail "no full agreement under latency"
took=$((($(date +%s%N) - started) / 1000000))
echo "the compare took ${took} ms"
e2e_screen | grep -q "8 requests, 0 failed" || fail "not 8 requests without failure"
# several in flight: the p50 is about one request's latency, and the
# whole took far less than 8 of them one after another
e2e_screen | grep -qE "latency p50 1[5-9][0-9][0-9]\.[0-9] ms" || fail "the requests' latency is not the fault's"
[ "$took" -lt 9000 ] || fail "the compare took ${took} ms: its 8 requests did not go several at a time"
e2e_keys Escape
e2e_wait_gone "compare:" || fail "esc did not leave the compare view"

# closing a compare with its requests out: they are cancelled, and the
# answers that would have come reach nothing (the dashboard lives on)
e2e_keys c
e2e_wait "Compare fashion-mnist" || fail "no second compare dialog"
e2e_keys Enter
e2e_wait "images sent" 10 || fail "the second compare did not start sending"
e2e_keys Escape
e2e_wait_gone "compare:" || fail "esc did not leave the running compare"
sleep 3.5 # past the answers' latency
e2e_screen | grep -q "exited" && fail "the dashboard died after a cancelled compare"
e2e_keys :
e2e_wait ":" || fail "no prompt after a cancelled compare"
e2e_keys Escape

# a mutation under the same latency: scale sends its PATCH and the loop
# goes on (the prompt shows at once, "scaling" said); the answer, 1.5 s
# later, says it scaled, and the cluster has it
e2e_keys s
e2e_wait "Scale fashion-mnist" || fail "no scale dialog"
e2e_keys BSpace BSpace BSpace; e2e_type "3"; e2e_keys Enter
e2e_wait "scaling deployments.apps/fashion-mnist to 3" 5 || fail "scale did not say it is on its way"
t0=$(date +%s%N)
e2e_keys :
e2e_wait ":" 5 || fail "no prompt while the scale was out"
ms=$((($(date +%s%N) - t0) / 1000000))
e2e_screen | grep -q "scaled to 3" && fail "the scale answered before its 1.5 s latency: not in flight"
[ "$ms" -lt 1000 ] || fail "the : prompt took ${ms} ms while a scale was out"
e2e_keys Escape
e2e_wait "scaled to 3" 10 || fail "the scale's answer was not said"
"$PODIUM" sim fault --kubeconfig "$KC" clear || true
sim_wait "fashion-mnist scaled to 3" sh -c "kubectl --kubeconfig $KC -n models get deploy fashion-mnist -o jsonpath='{.spec.replicas}' | grep -qx 3" ||
	fail "the cluster did not scale"
echo "compare_slow e2e ok"
