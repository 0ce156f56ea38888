#!/usr/bin/env bash
# `make serve-nginx`: nginx on 127.0.0.1:$PORT (deploy/nginx.conf) in front of gunicorn on a
# unix socket, and the mail worker beside them; all in the foreground, all logging to standard
# output and error. Ctrl-C or SIGTERM stops the three; if one stops, the others are stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.venv/bin}
PORT=${PORT:-5000}
RUN_DIR=$(realpath -m "${NGINX_DIR:-instance/nginx}")
socket="$RUN_DIR/gunicorn.sock"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)  # /usr/sbin is not on every user's PATH
export PROXY_FIX_HOPS=1  # nginx is the one trusted hop in front of the app
export RATELIMIT_STORAGE_URI=${RATELIMIT_STORAGE_URI:-redis://127.0.0.1:6379/0}
# The mail worker below decides sign-ons and sends mail; the web processes only queue.
export OUTBOX_DELIVERY=worker

conf=$("$BIN/python" -m deploy.render local --run-dir "$RUN_DIR" --port "$PORT" --upstream "unix:$socket")
"$NGINX" -t -q -p "$RUN_DIR" -c "$conf" -e stderr

pids=()
stop() {
  trap - EXIT
  ((${#pids[@]})) && kill -TERM "${pids[@]}" 2>/dev/null
  wait
}
trap stop EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

rm -f "$socket"
# The socket accepts only local processes; --forwarded-allow-ips names the one proxy anyway, so
# moving gunicorn to TCP (several app machines, see the README) keeps the same trust.
"$BIN/gunicorn" --workers "${WEB_CONCURRENCY:-2}" --bind "unix:$socket" --forwarded-allow-ips 127.0.0.1 \
  --error-logfile - --control-socket "$RUN_DIR/gunicorn.ctl" 'app:create_app()' &
pids+=($!)

"$BIN/flask" --app app outbox worker &
pids+=($!)

for _ in $(seq 300); do
  [[ -S $socket ]] && break
  sleep 0.1
done
"$NGINX" -p "$RUN_DIR" -c "$conf" -e stderr &
pids+=($!)
echo "serve-nginx: http://127.0.0.1:$PORT/ (nginx), gunicorn on $socket" >&2

set +e
wait -n "${pids[@]}"
status=$?
echo "serve-nginx: a part stopped (exit $status); stopping the others" >&2
exit "$status"
