#!/usr/bin/env bash
# build-runtime.sh [BUILD] - proves, without a Docker engine or a container
# registry, that the top-level Dockerfile builds the runtime image and that
# a model image FROM it serves its model. Only Debian's tools and package
# mirror are used:
#
#   1. buildah and debootstrap from apt, when missing;
#   2. the Dockerfile's base (debian:12-slim) made locally: debootstrap
#      --variant=minbase bookworm from the mirror this host's apt uses,
#      trimmed as the slim image is, committed under the name FROM uses;
#   3. `buildah bud --pull=never` of the Dockerfile (its apt-get reaches
#      the same mirror): the runtime image;
#   4. a model image from the Dockerfile `podium build` generates
#      ($BUILD/image-dockerfile prints it) and a model trained here;
#   5. the model image's ENTRYPOINT and CMD run as the image says (its
#      USER, WORKDIR, port 8080) in a network namespace of their own, and
#      asked over HTTP: ready, model metadata, /infer answering what
#      `podium model predict` answers, /metrics naming the model's
#      checksum; then it must run as uid 10001, hold no compiler, and stop
#      cleanly on SIGTERM.
#
# Root is needed (buildah's vfs storage, debootstrap, namespaces). All
# state lives in one temporary directory with buildah's own storage in it,
# removed on exit with every container and image: each run starts afresh
# and leaves nothing behind (PODIUM_IMAGE_KEEP=1 keeps the directory: its
# logs, model and request bodies; the images go all the same).
# It downloads ~150 MB of Debian packages and takes minutes, so `make
# image` runs it, not `make test` or CI. Figures: build times, image sizes
# (unpacked, and gzip-compressed as a registry would hold them), the first
# inference answer.
set -euo pipefail

BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
case $BUILD in /*) BDIR=$BUILD ;; *) BDIR=$TOP/$BUILD ;; esac
SUITE=bookworm                              # Debian 12
BASE_REF=docker.io/library/debian:12-slim   # what the Dockerfile's FROM names
RUNTIME_REF=localhost/podium-runtime:check
MODEL_REF=localhost/podium-model:check
PORT=8080                                   # the port podium build's image serves
DATA=/usr/share/datasets/fashion-mnist
T0=$(date +%s)

step() { printf '\n== [%4ds] %s\n' $(($(date +%s) - T0)) "$*"; }
fail() { echo "build-runtime: FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (buildah's storage, debootstrap, namespaces)"
command -v apt-get >/dev/null || fail "needs a Debian host (apt-get)"
[ -d $DATA ] || fail "needs the dataset-fashion-mnist package ($DATA)"
# The base made here is debian:12-slim, so every stage must start from it.
other=$(grep -i '^FROM' "$TOP/Dockerfile" | grep -vx 'FROM debian:12-slim\( AS [a-z]*\)\?' || true)
[ -z "$other" ] || fail "the Dockerfile's '$other' is not debian:12-slim, the only base this script makes"

# ---- 1. tools
step "tools: buildah, debootstrap, iproute2, curl, python3"
missing=
for p in buildah debootstrap iproute2 curl python3; do
	dpkg-query -W -f='${Status}' $p 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing$missing"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi
buildah --version
make -C "$TOP" -s -j2 BUILD="$BUILD" "$BUILD/podium" "$BUILD/image-dockerfile"
PODIUM=$BDIR/podium

# The mirror this host's apt reaches for bookworm and its security suite
# (DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR override).
mirror_of() { # release
	apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 2>/dev/null |
		awk -v r="$1" '$1 == r { print $2; exit }'
}
MIRROR=${DEBIAN_MIRROR:-$(mirror_of $SUITE)}
MIRROR=${MIRROR:-http://deb.debian.org/debian/}
SECURITY=${DEBIAN_SECURITY_MIRROR:-$(mirror_of $SUITE-security)}
SECURITY=${SECURITY:-http://deb.debian.org/debian-security/}
echo "mirror $MIRROR, security $SECURITY"

# ---- state, and its removal on every exit
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/podium-image.XXXXXX")
B=(buildah --root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs)
mkdir "$WORK/tmp"
export TMPDIR=$WORK/tmp   # buildah's own scratch (run's rootfs mount point) inside WORK too
NETNS=$WORK/netns
RUNPID=   # buildah run
SPID=     # the podium it runs
cleanup() {
	local rc=$?
	set +e
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	[ -n "$RUNPID" ] && kill "$RUNPID" 2>/dev/null && wait "$RUNPID" 2>/dev/null
	"${B[@]}" rm --all >/dev/null 2>&1
	"${B[@]}" rmi --all --force >/dev/null 2>&1
	# Nothing may stay mounted under WORK before it is removed: the
	# network namespace's bind mount, or a rootfs a failed step left.
	findmnt -rn -o TARGET | grep "^$WORK/" | sort -r | while read -r m; do umount -l "$m"; done
	if [ "${PODIUM_IMAGE_KEEP:-}" = 1 ]; then
		echo "kept $WORK"
	elif findmnt -rn -o TARGET | grep -q "^$WORK/"; then
		echo "build-runtime: $WORK still has mounts; not removed" >&2
	else
		rm -rf --one-file-system "$WORK"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 2. the base image
step "base: debootstrap --variant=minbase $SUITE into a scratch container"
ctr=$("${B[@]}" from scratch)
root=$("${B[@]}" mount "$ctr")
debootstrap --variant=minbase $SUITE "$root" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
	{ tail -20 "$WORK/debootstrap.log"; fail "debootstrap"; }
# Trimmed as the official slim image is (debuerreotype's slimify and its
# apt settings): no documentation, manuals or locales, now or after a
# later apt-get install; no package caches, logs or device nodes; the
# sources the debian:12 image has, on this host's mirror.
cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# The "slim" variant: files containers do not need are excluded.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
for d in groff info linda lintian/overrides locale man; do
	[ -d "$root/usr/share/$d" ] && find "$root/usr/share/$d" -mindepth 1 -delete
done
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
	"$root"/var/cache/ldconfig/aux-cache "$root"/var/lib/dpkg/*-old "$root"/dev/*
find "$root/var/log" -type f -delete
: >"$root/etc/resolv.conf"
: >"$root/etc/hostname"
[ -x "$root/usr/bin/apt-get" ] && [ -x "$root/usr/sbin/useradd" ] || fail "the base has no apt-get or useradd"
DEBIAN_VERSION=$(cat "$root/etc/debian_version")
"${B[@]}" umount "$ctr" >/dev/null
"${B[@]}" config --os linux --arch "$(dpkg --print-architecture)" \
	--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd bash "$ctr"
"${B[@]}" commit -q --rm "$ctr" "$BASE_REF" >/dev/null
echo "committed $BASE_REF: Debian $DEBIAN_VERSION"

size_of() { # image -> bytes, unpacked (the sum of its layers' tar sizes)
	"${B[@]}" inspect --type image --format '{{.Manifest}}' "$1" |
		python3 -c 'import json, sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))'
}
gz_size_of() { # image -> bytes of its gzip-compressed layers, as pushed to a registry
	rm -rf "$WORK/oci"
	"${B[@]}" push -q "$1" "oci:$WORK/oci:x" >/dev/null
	python3 - "$WORK/oci" <<'EOF'
import json, os, sys
d = sys.argv[1]
blob = lambda dg: os.path.join(d, "blobs", *dg.split(":"))
idx = json.load(open(os.path.join(d, "index.json")))
man = json.load(open(blob(idx["manifests"][0]["digest"])))
assert all(l["mediaType"].endswith("+gzip") for l in man["layers"]), man["layers"]
print(sum(l["size"] for l in man["layers"]))
EOF
	rm -rf "$WORK/oci"
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

BASE_SIZE=$(size_of "$BASE_REF")
echo "base image: $(mb "$BASE_SIZE") unpacked"

# ---- 3. the runtime image
step "runtime image: buildah bud the top-level Dockerfile"
t=$(date +%s)
"${B[@]}" bud --pull=never --isolation=chroot -f "$TOP/Dockerfile" -t "$RUNTIME_REF" "$TOP" \
	>"$WORK/bud-runtime.log" 2>&1 || { tail -40 "$WORK/bud-runtime.log"; fail "buildah bud of the Dockerfile"; }
RUNTIME_SECS=$(($(date +%s) - t))
RUNTIME_SIZE=$(size_of "$RUNTIME_REF")
RUNTIME_GZ=$(gz_size_of "$RUNTIME_REF")
echo "built $RUNTIME_REF in ${RUNTIME_SECS}s: $(mb "$RUNTIME_SIZE") unpacked, $(mb "$RUNTIME_GZ") compressed"

# ---- 4. a model image FROM it, from the Dockerfile podium build generates
step "model image: podium build's Dockerfile FROM $RUNTIME_REF"
mkdir "$WORK/ctx"
"$PODIUM" model train --data $DATA --limit 6000 --epochs 1 -o "$WORK/ctx/model.safetensors" \
	>"$WORK/train.log" 2>&1 || { cat "$WORK/train.log"; fail "podium model train"; }
SHA=$(sha256sum "$WORK/ctx/model.safetensors" | cut -c1-64)
"$BDIR/image-dockerfile" "$RUNTIME_REF" $PORT >"$WORK/ctx/Dockerfile"
sed 's/^/  | /' "$WORK/ctx/Dockerfile"
t=$(date +%s)
"${B[@]}" bud --pull=never --isolation=chroot -t "$MODEL_REF" "$WORK/ctx" \
	>"$WORK/bud-model.log" 2>&1 || { tail -40 "$WORK/bud-model.log"; fail "buildah bud of the model image"; }
MODEL_SECS=$(($(date +%s) - t))
MODEL_SIZE=$(size_of "$MODEL_REF")
echo "built $MODEL_REF in ${MODEL_SECS}s: $(mb "$MODEL_SIZE") unpacked (model $(stat -c %s "$WORK/ctx/model.safetensors") bytes, sha256 ${SHA:0:12})"

# ---- 5. run it as the image says, and ask it
step "serve: the model image's ENTRYPOINT and CMD in a network namespace of their own"
cfg() { "${B[@]}" inspect --type image --format "$1" "$MODEL_REF"; }
USER_CFG=$(cfg '{{.OCIv1.Config.User}}')
[ "$USER_CFG" = 10001 ] || fail "the image's user is '$USER_CFG', not 10001"
mapfile -t CMD < <(cfg '{{range .OCIv1.Config.Entrypoint}}{{println .}}{{end}}{{range .OCIv1.Config.Cmd}}{{println .}}{{end}}')
echo "user $USER_CFG, workdir $(cfg '{{.OCIv1.Config.WorkingDir}}'), command: ${CMD[*]}"
ctr=$("${B[@]}" from --pull=never "$MODEL_REF")
root=$("${B[@]}" mount "$ctr")
touch "$NETNS"
unshare --net="$NETNS" true
nsenter --net="$NETNS" ip link set lo up
# buildah run starts the command with the image's user, working directory
# and environment (its chroot isolation shares the network namespace it
# runs in: this one, so port 8080 is the container's alone).
nsenter --net="$NETNS" "${B[@]}" run --isolation=chroot "$ctr" -- "${CMD[@]}" \
	>"$WORK/serve.out" 2>"$WORK/serve.log" &
RUNPID=$!
in_ns() { nsenter --net="$NETNS" "$@"; }
URL=http://127.0.0.1:$PORT
for _ in $(seq 150); do
	in_ns curl -s -o /dev/null "$URL/v2/health/live" && break
	kill -0 $RUNPID 2>/dev/null || { cat "$WORK/serve.log"; fail "the server exited before listening"; }
	sleep 0.1
done
sed 's/^/  server: /' "$WORK/serve.log"
# The serving process: in our network namespace, named podium.
NSINO=$(stat -L -c %i "$NETNS")
for p in /proc/[0-9]*; do
	[ "$(stat -L -c %i "$p/ns/net" 2>/dev/null)" = "$NSINO" ] && [ "$(cat "$p/comm" 2>/dev/null)" = podium ] &&
		{ SPID=${p#/proc/}; break; }
done
[ -n "$SPID" ] || fail "no podium process in the container's network namespace"
UIDS=$(awk '/^Uid:/ { print $2, $3 } /^Gid:/ { print $2, $3 }' /proc/$SPID/status | paste -sd' ')
[ "$UIDS" = "10001 10001 10001 10001" ] || fail "podium runs as uid/gid '$UIDS', not 10001"
# Its root is the image (buildah bind-mounts it elsewhere): the model it
# sees is the one built in.
[ "$(sha256sum </proc/$SPID/root/models/model.safetensors | cut -c1-64)" = "$SHA" ] ||
	fail "podium's /models/model.safetensors is not the model built into the image"
echo "podium pid $SPID: uid and gid 10001, /models/model.safetensors the model built in"

req() { # path [curl options...] -> $WORK/body, status in CODE
	local path=$1; shift
	CODE=$(in_ns curl -s -o "$WORK/body" -w '%{http_code}' "$@" "$URL$path") || fail "curl $path"
}
req /v2/health/ready
[ "$CODE" = 200 ] || fail "/v2/health/ready: $CODE $(cat "$WORK/body")"
echo "GET /v2/health/ready: $CODE $(cat "$WORK/body")"
req /v2/models/model
[ "$CODE" = 200 ] && grep -qF '"name":"model"' "$WORK/body" && grep -qF "\"versions\":[\"${SHA:0:12}\"]" "$WORK/body" ||
	fail "/v2/models/model: $CODE $(head -c 300 "$WORK/body")"
echo "GET /v2/models/model: $CODE $(head -c 160 "$WORK/body")..."

N=8
python3 "$TOP/tests/integration/serve_bodies.py" $DATA/t10k-images-idx3-ubyte.gz $N "$WORK" ||
	fail "cannot write request bodies"
"$PODIUM" model predict "$WORK/ctx/model.safetensors" --images $DATA/t10k-images-idx3-ubyte.gz \
	--range 0:$N -o json >"$WORK/expected.json" || fail "podium model predict"
t=$(date +%s%N)
req /v2/models/model/infer -X POST --data-binary @"$WORK/v2_fp32.json"
INFER_MS=$((($(date +%s%N) - t) / 1000000))
[ "$CODE" = 200 ] || fail "infer: $CODE $(head -c 300 "$WORK/body")"
FIRST=$(python3 - "$WORK/body" "$WORK/expected.json" $N <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
want = [p["probabilities"] for p in json.load(open(sys.argv[2]))]
n = int(sys.argv[3])
out = {o["name"]: o for o in r["outputs"]}
p = out["probabilities"]
assert p["shape"] == [n, 10], p["shape"]
got = [p["data"][i * 10:(i + 1) * 10] for i in range(n)]
worst = max(abs(a - b) for g, w in zip(got, want) for a, b in zip(g, w))
assert worst <= 1e-5, "largest difference from podium model predict: %g" % worst
labels = out["label"]["data"]
assert labels == [max(range(10), key=lambda c: w[c]) for w in want], labels
print("image 0: label %d, p=%.6f; %d images, labels %s, largest difference from "
      "podium model predict %.2g" % (labels[0], got[0][labels[0]], n, labels, worst))
EOF
) || fail "the image's answer differs from podium model predict"
echo "POST /v2/models/model/infer ($N images, ${INFER_MS} ms): $FIRST"
req /metrics
grep -q "^podium_model_info{model=\"model\",version=\"${SHA:0:12}\",sha256=\"$SHA\"" "$WORK/body" ||
	fail "/metrics lacks the model's checksum: $(grep model_info "$WORK/body")"
echo "GET /metrics: $(grep '^podium_model_info' "$WORK/body")"

step "the image: no compiler, and a clean stop on SIGTERM"
for f in cc gcc c++ g++ cpp clang tcc as ld make; do
	for d in usr/bin usr/local/bin bin; do
		[ -e "$root/$d/$f" ] && fail "the image has /$d/$f"
	done
done
chroot "$root" dpkg-query -W -f='${Package}\n' 2>/dev/null | grep -Ex 'gcc(-[0-9]+)?|cpp(-[0-9]+)?|binutils|libc6-dev|make' &&
	fail "the image has a toolchain package"
echo "no compiler, assembler, linker or make; $(chroot "$root" dpkg-query -W -f='.\n' | wc -l) Debian packages"
kill -TERM "$SPID"
rc=0
wait $RUNPID || rc=$?
RUNPID= SPID=
[ $rc = 0 ] || { cat "$WORK/serve.log"; fail "the server exited $rc after SIGTERM"; }
tail -1 "$WORK/serve.log" | sed 's/^/  server: /'

step "figures"
printf '%-34s %s\n' \
	"base ($BASE_REF, local)" "$(mb "$BASE_SIZE") unpacked" \
	"runtime image build" "${RUNTIME_SECS} s" \
	"runtime image size" "$(mb "$RUNTIME_SIZE") unpacked, $(mb "$RUNTIME_GZ") gzip layers" \
	"model image build" "${MODEL_SECS} s" \
	"model image size" "$(mb "$MODEL_SIZE") unpacked" \
	"first inference" "$FIRST" \
	"total" "$(($(date +%s) - T0)) s"
echo "build-runtime: ok"
