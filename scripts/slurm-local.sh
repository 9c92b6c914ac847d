#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A private Slurm "cluster" of several nodes on this one host, for the project's tests of srun/sbatch
# launches: munged + slurmctld + one slurmd per node, all under one directory ($LIBINDEX_SLURM_DIR).
#
#   scripts/slurm-local.sh start [NODES]   # default 2 nodes; succeeds if already running
#   eval "$(scripts/slurm-local.sh env)"   # SLURM_CONF for srun/sbatch/squeue/scancel/sinfo
#   scripts/slurm-local.sh status | stop
#
# Facts that shaped it:
# - No systemd (containers, CI VMs): each daemon is started by hand with its own pid and log file, and
#   stopped through those pid files, so nothing under /etc, /run or /var is used or changed.
# - munged gets its own key, socket, pid, log and seed files; Slurm reaches it with
#   AuthInfo=socket=<path> (auth/munge, cred/munge: Slurm 22.05's name for CryptoType=crypto/munge).
#   As root it runs with --force, so its ownership/permission checks warn instead of failing.
# - Several nodes on one host: NodeName=n1..nN all share this host's name and 127.0.0.1 but each slurmd
#   listens on its own port and is started as `slurmd -N nK`; %n in the pid/spool/log paths keeps
#   them apart.
# - SlurmdParameters=config_overrides: a node may declare more CPUs than the machine has (2-core VMs).
# - Private ports (SlurmctldPort/SlurmdPort and per-node Port) so it never collides with a system Slurm.
# - proctrack/linuxproc and task/none: no cgroup setup needed; no accounting daemon (slurmdbd).
# - srun --mpi=pmix with several nodes of one job on one host: every node's slurmstepd creates
#   <TmpFS>/spmix_appdir_<uid>_<job>.<step>, so with the default TmpFS=/tmp the second node fails with
#   "Cannot create client cli tmpdir ... File exists". TmpFS=<dir>/tmp/%n gives each node its own.
set -euo pipefail

SLURM_DIR=${LIBINDEX_SLURM_DIR:-/tmp/libindex-slurm}
CTLD_PORT=${LIBINDEX_SLURM_CTLD_PORT:-16817}      # SlurmctldPort
NODE_PORT_BASE=${LIBINDEX_SLURM_NODE_PORT:-17000} # node nK listens on NODE_PORT_BASE+K
NODE_CPUS=${LIBINDEX_SLURM_CPUS:-4}               # CPUs each node declares
START_TIMEOUT=${LIBINDEX_SLURM_START_TIMEOUT:-30} # seconds to wait for all nodes to be idle
case "$SLURM_DIR" in
  /?*) ;;
  *) echo "LIBINDEX_SLURM_DIR must be an absolute path other than /: '$SLURM_DIR'" >&2; exit 2 ;;
esac
CONF=$SLURM_DIR/slurm.conf
MARKER=$SLURM_DIR/.libindex-slurm-local # only a directory holding it is ever removed
MUNGE_DIR=$SLURM_DIR/munge
MUNGE_SOCKET=$MUNGE_DIR/munge.socket
HOST=$(hostname -s)
PATH=$PATH:/usr/sbin:/sbin # slurmctld, slurmd and munged live in sbin

usage() {
  cat <<EOF
Usage: $0 start [NODES] | stop | status | env | --help

A private local Slurm cluster (munged, slurmctld, NODES x slurmd on 127.0.0.1) for tests.
  start [NODES]  install Slurm/munge if missing, configure and start NODES nodes (default 2)
                 named n1..nNODES in partition 'debug'; waits until all are idle
  stop           cancel all its jobs, stop its daemons, remove its directory (idempotent)
  status         sinfo of the private cluster, or "not running" (exit 1)
  env            print 'export SLURM_CONF=...': eval "\$($0 env)"

Environment: LIBINDEX_SLURM_DIR (default /tmp/libindex-slurm), LIBINDEX_SLURM_CTLD_PORT (16817),
LIBINDEX_SLURM_NODE_PORT (17000: node nK uses 17000+K), LIBINDEX_SLURM_CPUS (4 per node),
LIBINDEX_SLURM_START_TIMEOUT (30 s).
EOF
}

log() { echo "[slurm-local] $*" >&2; }

# Installs slurmctld, slurmd, the client commands and munge when any is missing.
install_packages() {
  local cmd missing=0
  for cmd in slurmctld slurmd sinfo srun scancel munged munge; do
    command -v "$cmd" >/dev/null 2>&1 || missing=1
  done
  [ "$missing" = 0 ] && return 0
  log "installing slurmctld slurmd slurm-client munge"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
}

# Prints the pid recorded in pid file $1 if that process is alive; fails otherwise.
live_pid() {
  local pid
  [ -f "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

is_running() {
  [ -f "$CONF" ] && live_pid "$SLURM_DIR/slurmctld.pid" >/dev/null &&
    SLURM_CONF=$CONF sinfo -h >/dev/null 2>&1
}

# Creates the private directory tree (0755 so non-root users can read slurm.conf and reach munge).
make_dirs() {
  mkdir -p "$SLURM_DIR"
  touch "$MARKER"
  mkdir -p "$SLURM_DIR"/{state,spool,log,tmp} "$MUNGE_DIR"
  chmod 0755 "$SLURM_DIR" "$MUNGE_DIR"
  chmod 0700 "$SLURM_DIR/state"
}

# Generates the munge key (random, 0400, owned by the user that runs munged) and starts munged.
start_munge() {
  local key=$MUNGE_DIR/munge.key
  dd if=/dev/urandom of="$key" bs=1 count=1024 status=none
  chmod 0400 "$key"
  local force=()
  [ "$(id -u)" = 0 ] && force=(--force)
  munged "${force[@]}" --key-file="$key" --socket="$MUNGE_SOCKET" \
    --pid-file="$MUNGE_DIR/munged.pid" --log-file="$SLURM_DIR/log/munged.log" \
    --seed-file="$MUNGE_DIR/munged.seed"
  munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET" >/dev/null
}

# Writes slurm.conf for $1 nodes n1..n$1, all on 127.0.0.1 with distinct ports.
write_conf() {
  local nodes=$1 k
  cat >"$CONF" <<EOF
# Generated by scripts/slurm-local.sh: private local cluster, do not edit.
ClusterName=libindex
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$((NODE_PORT_BASE + 1))
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$SLURM_DIR/state
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdPidFile=$SLURM_DIR/slurmd.%n.pid
SlurmdSpoolDir=$SLURM_DIR/spool/%n
SlurmdLogFile=$SLURM_DIR/log/slurmd.%n.log
SlurmdParameters=config_overrides
PlugStackConfig=$SLURM_DIR/plugstack.conf
TmpFS=$SLURM_DIR/tmp/%n
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=30
MessageTimeout=10
SchedulerType=sched/backfill
EOF
  for ((k = 1; k <= nodes; k++)); do
    echo "NodeName=n$k NodeHostname=$HOST NodeAddr=127.0.0.1 Port=$((NODE_PORT_BASE + k)) CPUs=$NODE_CPUS State=UNKNOWN" >>"$CONF"
  done
  echo "PartitionName=debug Nodes=n[1-$nodes] Default=YES MaxTime=INFINITE OverSubscribe=YES State=UP" >>"$CONF"
  : >"$SLURM_DIR/plugstack.conf" # no system SPANK plugins
}

start_daemons() {
  local nodes=$1 k
  slurmctld -f "$CONF"
  for ((k = 1; k <= nodes; k++)); do
    mkdir -p "$SLURM_DIR/spool/n$k" "$SLURM_DIR/tmp/n$k"
    slurmd -N "n$k" -f "$CONF"
  done
}

# Waits (bounded) until sinfo reports all $1 nodes idle.
wait_idle() {
  local nodes=$1 deadline=$((SECONDS + START_TIMEOUT)) idle
  while [ "$SECONDS" -lt "$deadline" ]; do
    idle=$(SLURM_CONF=$CONF sinfo -h -N -o '%N %t' 2>/dev/null | awk '$2 == "idle"' | wc -l)
    [ "$idle" -ge "$nodes" ] && return 0
    sleep 1
  done
  return 1
}

print_log_tails() {
  local f
  SLURM_CONF=$CONF sinfo -N -l 2>&1 || true
  for f in "$SLURM_DIR"/log/*.log; do
    [ -f "$f" ] || continue
    echo "==== $f (tail)" >&2
    tail -n 20 "$f" >&2
  done
}

cmd_start() {
  local nodes=${1:-2}
  [[ "$nodes" =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }
  install_packages
  if is_running; then
    log "already running ($SLURM_DIR)"
    SLURM_CONF=$CONF sinfo
    return 0
  fi
  if [ -e "$SLURM_DIR" ]; then
    if [ ! -e "$MARKER" ] && [ -n "$(ls -A "$SLURM_DIR")" ]; then
      log "$SLURM_DIR exists and was not made by this script; set LIBINDEX_SLURM_DIR elsewhere"
      exit 1
    fi
    cmd_stop # leftovers of a crashed cluster
  fi
  log "starting $nodes node(s) in $SLURM_DIR"
  make_dirs
  write_conf "$nodes"
  if ! start_munge || ! start_daemons "$nodes" || ! wait_idle "$nodes"; then
    log "failed to start: log tails follow"
    print_log_tails
    cmd_stop
    exit 1
  fi
  SLURM_CONF=$CONF sinfo
}

# Cancels every job of the private cluster and waits (bounded) for them to leave the queue.
cancel_jobs() {
  local jobs i
  jobs=$(SLURM_CONF=$CONF squeue -h -o '%A' 2>/dev/null) || return 0
  [ -n "$jobs" ] || return 0
  # shellcheck disable=SC2086 # one word per job id
  SLURM_CONF=$CONF scancel --full $jobs 2>/dev/null || true
  for ((i = 0; i < 15; i++)); do
    [ -z "$(SLURM_CONF=$CONF squeue -h -t R,CG,PD -o '%A' 2>/dev/null)" ] && return 0
    sleep 1
  done
}

# Sends TERM to the process of each pid file, waits up to 10 s, then KILL.
STOPPED_PIDS=()
kill_pid_files() {
  local f pid pids=() i
  for f in "$@"; do
    pid=$(live_pid "$f") && pids+=("$pid")
  done
  [ "${#pids[@]}" -gt 0 ] || return 0
  STOPPED_PIDS+=("${pids[@]}")
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do
    any_alive "${pids[@]}" || return 0
    sleep 0.25
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
}

# Succeeds if any of the given pids is still alive. A zombie counts as dead: without systemd the
# daemons' parent is an init that may reap them only seconds later.
any_alive() {
  local pid state
  for pid in "$@"; do
    state=$(sed -E 's/.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null) || continue
    [ -n "$state" ] && [ "$state" != Z ] && return 0
  done
  return 1
}

# Waits (up to 5 s) until init has reaped the stopped daemons, so that pgrep no longer lists them.
wait_reaped() {
  local i pid left
  for ((i = 0; i < 20; i++)); do
    left=0
    for pid in "${STOPPED_PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null && left=1
    done
    [ "$left" = 0 ] && return 0
    sleep 0.25
  done
}

cmd_stop() {
  if [ -f "$CONF" ] && live_pid "$SLURM_DIR/slurmctld.pid" >/dev/null; then
    cancel_jobs
  fi
  kill_pid_files "$SLURM_DIR"/slurmd.*.pid "$SLURM_DIR/slurmctld.pid"
  kill_pid_files "$MUNGE_DIR/munged.pid"
  # Fallback: any daemon whose command line names the private directory (lost pid file).
  local pattern
  pattern="(munged|slurmctld|slurmd) .*$(printf '%s' "$SLURM_DIR" | sed 's/[][\.*^$+?(){}|]/\\&/g')"
  pkill -KILL -f "$pattern" 2>/dev/null || true
  wait_reaped
  if [ -e "$MARKER" ]; then
    rm -rf "$SLURM_DIR"
    log "stopped ($SLURM_DIR removed)"
  elif [ -d "$SLURM_DIR" ]; then
    rmdir "$SLURM_DIR" 2>/dev/null || log "left $SLURM_DIR alone: not made by this script"
  fi
}

cmd_status() {
  if is_running; then
    SLURM_CONF=$CONF sinfo
  else
    echo "not running"
    exit 1
  fi
}

case "${1:-}" in
  start) cmd_start "${2:-2}" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
