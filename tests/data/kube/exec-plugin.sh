#!/bin/sh
# A test exec credential plugin: counts its runs in $EXEC_COUNT_FILE, checks
# what client-go gives plugins, and answers as $PLUGIN_MODE says.
n=1
if [ -n "$EXEC_COUNT_FILE" ]; then
	n=$(( $(cat "$EXEC_COUNT_FILE" 2>/dev/null || echo 0) + 1 ))
	echo "$n" > "$EXEC_COUNT_FILE"
fi
[ -n "$EXEC_INFO_FILE" ] && printf '%s' "$KUBERNETES_EXEC_INFO" > "$EXEC_INFO_FILE"
[ -n "$EXEC_ARGS_FILE" ] && echo "$*" > "$EXEC_ARGS_FILE"
av=client.authentication.k8s.io/v1
case "$KUBERNETES_EXEC_INFO" in *v1beta1*) av=client.authentication.k8s.io/v1beta1 ;; esac
exp=""
[ -n "$EXEC_EXPIRY" ] && exp=",\"expirationTimestamp\":\"$EXEC_EXPIRY\""
case "$PLUGIN_MODE" in
static) printf '{"kind":"ExecCredential","apiVersion":"%s","status":{"token":"%s"%s}}\n' "$av" "$EXEC_TOKEN" "$exp" ;;
file) printf '{"kind":"ExecCredential","apiVersion":"%s","status":{"token":"%s"%s}}\n' "$av" "$(cat "$EXEC_TOKEN_FILE")" "$exp" ;;
token) printf '{"kind":"ExecCredential","apiVersion":"%s","status":{"token":"%s-%d"%s}}\n' "$av" "${EXEC_TOKEN:-exec-token}" "$n" "$exp" ;;
cert)
	crt=$(awk '{printf "%s\\n", $0}' "$EXEC_CERT")
	key=$(awk '{printf "%s\\n", $0}' "$EXEC_KEY")
	printf '{"kind":"ExecCredential","apiVersion":"%s","status":{"clientCertificateData":"%s","clientKeyData":"%s"}}\n' "$av" "$crt" "$key" ;;
fail) echo "login required: run podium-login first" >&2; exit 3 ;;
garbage) echo "this is not json" ;;
wrongversion) printf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1","status":{"token":"t"}}\n' ;;
nostatus) printf '{"kind":"ExecCredential","apiVersion":"%s"}\n' "$av" ;;
*) echo "unknown PLUGIN_MODE" >&2; exit 1 ;;
esac
