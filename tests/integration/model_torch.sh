#!/usr/bin/env bash
# Interop proof: a PyTorch state_dict of the reference network, saved as
# safetensors without podium metadata, loads in podium (layers mapped by
# their nn.Sequential index) and predicts what PyTorch predicts: every
# probability of 100 Fashion-MNIST test images within 1e-5, in a batch and
# (8 of them) one at a time.
set -u
PY=/usr/bin/python3
IMAGES=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
T=${PODIUM_TEST_TMP:-/tmp}/model_torch.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
[ -x "$PY" ] && "$PY" -c 'import torch' 2>/dev/null || { echo "python3 torch not importable"; exit 77; }
[ -f "$IMAGES" ] || { echo "no Fashion-MNIST at $IMAGES"; exit 77; }

"$PY" "$TOP/tests/integration/model_torch.py" "$T/torch.safetensors" "$T/torch.json" \
	"$IMAGES" 100 7 || { echo "FAIL: the PyTorch side failed"; exit 1; }
"$PODIUM" model info "$T/torch.safetensors" --arch keras-mnist >"$T/info" ||
	{ echo "FAIL: info on the PyTorch file"; exit 1; }
grep -q 'PyTorch state_dict' "$T/info" || { echo "FAIL: not seen as a state_dict"; cat "$T/info"; exit 1; }
grep -q '347146' "$T/info" || { echo "FAIL: parameter count"; exit 1; }
"$PODIUM" model predict "$T/torch.safetensors" --images "$IMAGES" --range 0:100 \
	--top 10 -o json >"$T/podium.json" || { echo "FAIL: podium predict"; exit 1; }
# single images take the engine's own inference route (fused_infer)
for i in 0 1 2 3 4 5 6 7; do
	"$PODIUM" model predict "$T/torch.safetensors" --images "$IMAGES" --index $i \
		--top 10 -o json >"$T/one$i.json" || { echo "FAIL: podium predict --index $i"; exit 1; }
done

"$PY" - "$T/torch.json" "$T/podium.json" <<'PYEOF' || exit 1
import json, sys
torch_p = json.load(open(sys.argv[1]))
podium = json.load(open(sys.argv[2]))
assert len(podium) == len(torch_p) == 100, "100 predictions each"
worst, spread = 0.0, 0.0
for i, (t, p) in enumerate(zip(torch_p, podium)):
    assert p["index"] == i
    q = p["probabilities"]
    assert len(q) == 10
    for a, b in zip(t, q):
        worst = max(worst, abs(a - b))
    spread = max(spread, max(t))
for i in range(8):
    one = json.load(open(sys.argv[2].replace("podium.json", "one%d.json" % i)))
    assert len(one) == 1 and one[0]["index"] == i
    for a, b in zip(torch_p[i], one[0]["probabilities"]):
        worst = max(worst, abs(a - b))
print("largest probability difference %.3g (largest probability %.3f)" % (worst, spread))
if spread < 0.5:
    sys.exit("FAIL: probabilities too flat to prove anything")
if worst > 1e-5:
    sys.exit("FAIL: a probability differs by %.3g > 1e-5" % worst)
PYEOF
echo "PASS: podium predicts what PyTorch predicts (within 1e-5)"
