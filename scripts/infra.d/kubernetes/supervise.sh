#!/usr/bin/env bash
# supervise.sh DIR ETCD KUBE_APISERVER — the process `scripts/infra start kubernetes` runs (in its own
# session, so `scripts/infra stop` ends the whole group): etcd, and the API server on top of it, with the
# arguments in DIR/etcd.args and DIR/apiserver.args (one per line). The API server is started again
# whenever it exits, unless DIR/apiserver.hold exists (then once it is removed): `scripts/infra restart`
# stops it that way while etcd keeps its data, so a watch can be resumed across the restart.
set -u
d=$1 etcd_bin=$2 api_bin=$3
mapfile -t etcd_args <"$d/etcd.args"
mapfile -t api_args <"$d/apiserver.args"
"$etcd_bin" "${etcd_args[@]}" >>"$d/etcd.log" 2>&1 &
etcd_pid=$!
api_pid=
trap 'kill -TERM $etcd_pid $api_pid 2>/dev/null; wait; exit 0' TERM INT
while kill -0 "$etcd_pid" 2>/dev/null; do
  while [[ -e $d/apiserver.hold ]]; do sleep 0.1; done
  "$api_bin" "${api_args[@]}" >>"$d/apiserver.log" 2>&1 &
  api_pid=$!
  echo "$api_pid" >"$d/apiserver.pid"
  wait "$api_pid"
  echo "supervise: kube-apiserver (pid $api_pid) exited with $?" >>"$d/apiserver.log"
  sleep 0.5
done
echo "supervise: etcd exited; stopping" >>"$d/apiserver.log"
kill -TERM "$api_pid" 2>/dev/null
wait
