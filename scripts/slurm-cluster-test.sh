#!/usr/bin/env bash
# A real cluster scheduler, tested (issue 14): brings up a one-node Slurm cluster on this machine (Debian's slurm-wlm
# and munge; munged, slurmctld and slurmd started by hand, as root, with their state, sockets and logs in a temporary
# folder and ports of their own), then with samples/FreeEnergy.ClusterSweep:
#   1. runs a small sweep serially (the reference, outside Slurm);
#   2. runs the same plan as a job array, one shard per task (sweep.sbatch), merges the shards' records files and
#      checks that they equal the serial run's bit for bit (every field but the wall-clock seconds; the checkpoints);
#   3. runs the array again, preempts task 0 after its first point (scontrol requeue: SIGTERM, back to pending,
#      restarted: it resumes from its records file) and cancels task 1 after its first point (a task that dies),
#      re-submits the tasks that did not complete (sbatch --array=<their ids>), merges and compares again;
# and stops the daemons it started. A missing or broken scheduler fails with the reason (which daemon, its log tail).
#
#   scripts/slurm-cluster-test.sh [--program FreeEnergy.ClusterSweep.dll] [--keep] [--timeout SECONDS] [--examples N] [--epochs N]
#
# Without --program it builds the sample (Release). --keep keeps the temporary folder (logs, records). --timeout bounds
# each wait for the scheduler (default 300 s). --examples (default 600) and --epochs (default 2) size the sweep's points. Exit code 0 when every check passed. CI runs it through the xunit test
# tests/FreeEnergy.ClusterSweep.Tests (SlurmClusterTests). docs/surface.md ("Shards on a cluster") explains it.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
name=slurm-cluster-test
started=$SECONDS

program= keep=0 timeout=300 examples=600 epochs=2
while [[ $# -gt 0 ]]; do
  case $1 in
    --program) program=${2:?--program needs a path}; shift 2 ;;
    --examples) examples=${2:?--examples needs a number}; shift 2 ;;
    --epochs) epochs=${2:?--epochs needs a number}; shift 2 ;;
    --keep) keep=1; shift ;;
    --timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
    *) echo "$name: unknown argument '$1'; usage: $0 [--program DLL] [--keep] [--timeout SECONDS] [--examples N] [--epochs N]" >&2; exit 2 ;;
  esac
done
for value in "$timeout" "$examples" "$epochs"; do
  if ! [[ $value =~ ^[1-9][0-9]*$ ]]; then
    echo "$name: --timeout, --examples and --epochs take positive integers, not '$value'" >&2
    exit 2
  fi
done

# The sweep: 3 chains (γ) of 3 points (λ), 3 shards on a node of (here) 2 CPUs: the third task waits for a free CPU.
plan=(--lambdas 4,2,1 --gammas 1,10,100 --examples "$examples" --epochs "$epochs")
shards=3
install="apt-get update && apt-get install -y --no-install-recommends slurm-wlm munge"

tmp= munged_pid= ctld_pid= slurmd_pid= jobs=()

note() { echo "$name: $*"; }

# Prints the last lines of a log, labelled.
tail_log() {
  if [[ -s $2 ]]; then
    echo "---- $1 (last 25 lines of $2) ----" >&2
    tail -n 25 "$2" >&2
    echo "----" >&2
  else
    echo "---- $1: $2 is empty or missing ----" >&2
  fi
}

fail() {
  echo "$name: FAILED: $*" >&2
  exit 1
}

# Stops what this script started, by process id: the jobs, slurmd and slurmctld (scontrol shutdown, then signals),
# munged; then removes the temporary folder unless --keep.
cleanup() {
  local status=$? job
  if [[ -n $ctld_pid ]] && kill -0 "$ctld_pid" 2>/dev/null; then
    for job in "${jobs[@]}"; do scancel "$job" 2>/dev/null; done
    scontrol shutdown >/dev/null 2>&1
  fi
  local pid
  for pid in $slurmd_pid $ctld_pid $munged_pid; do
    [[ $pid == "$munged_pid" ]] && kill "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null; sleep 1; kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
  done
  if [[ -n $tmp ]]; then
    if [[ $keep -eq 1 ]]; then
      note "kept $tmp"
    else
      rm -rf "$tmp"
    fi
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 0. What is needed -------------------------------------------------------------------------------------------
for tool in munged munge unmunge slurmctld slurmd sbatch squeue sinfo scontrol scancel dotnet; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    if [[ $tool == dotnet ]]; then
      fail "'dotnet' is not on PATH: the array tasks run the sample with the .NET SDK's dotnet"
    fi
    fail "'$tool' is not installed: this test needs Debian's Slurm and MUNGE. Install them with: $install"
  fi
done
[[ $EUID -eq 0 ]] || fail "run as root: this one-node cluster runs munged, slurmctld, slurmd and the jobs as root"

if [[ -z $program ]]; then
  note "building samples/FreeEnergy.ClusterSweep (Release)"
  dotnet build samples/FreeEnergy.ClusterSweep -c Release --nologo -v quiet >/dev/null || fail "the build of samples/FreeEnergy.ClusterSweep failed: dotnet build samples/FreeEnergy.ClusterSweep -c Release"
  program=$repo/samples/FreeEnergy.ClusterSweep/bin/Release/net10.0/FreeEnergy.ClusterSweep.dll
fi
program=$(realpath "$program" 2>/dev/null) || fail "the program '$program' does not exist"
[[ -f $program ]] || fail "the program '$program' does not exist"
sbatch_script=$(dirname "$program")/sweep.sbatch
[[ -f $sbatch_script ]] || fail "the job script '$sbatch_script' is missing (it is copied beside the built program)"

tmp=$(mktemp -d /tmp/freeenergy-slurm.XXXXXX) || fail "mktemp failed"
chmod 755 "$tmp" # munged wants its socket's folders searchable by all
mkdir -p "$tmp"/{munge,ctld,spool,log} && chmod 755 "$tmp/munge"

# --- 1. munged ---------------------------------------------------------------------------------------------------
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none && chmod 600 "$tmp/munge/munge.key"
socket=$tmp/munge/munge.socket
munged --foreground --socket="$socket" --key-file="$tmp/munge/munge.key" --log-file="$tmp/log/munged.log" \
  --pid-file="$tmp/munge/munged.pid" --seed-file="$tmp/munge/munged.seed" >"$tmp/log/munged.out" 2>&1 </dev/null &
munged_pid=$!
for _ in $(seq 1 50); do [[ -S $socket ]] && break; kill -0 "$munged_pid" 2>/dev/null || break; sleep 0.1; done
if ! munge -n -S "$socket" 2>"$tmp/log/munge.err" | unmunge -S "$socket" >/dev/null 2>>"$tmp/log/munge.err"; then
  tail_log "munge/unmunge" "$tmp/log/munge.err"
  tail_log "munged's output" "$tmp/log/munged.out"
  tail_log "munged's log" "$tmp/log/munged.log"
  fail "munged (pid $munged_pid) does not issue credentials on $socket"
fi

# --- 2. slurm.conf for this host, its real CPUs and memory ---------------------------------------------------------
node=$(hostname -s)
hardware=$(slurmd -C 2>"$tmp/log/slurmd-C.err" | grep '^NodeName=') || { tail_log "slurmd -C" "$tmp/log/slurmd-C.err"; fail "slurmd -C did not describe this node"; }
cpus=$(sed -E 's/.* CPUs=([0-9]+).*/\1/' <<<"$hardware")
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 20); do
  port=$(( 20000 + RANDOM % 20000 ))
  port_free "$port" && port_free $((port + 1)) && break
done
export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<EOF
# A one-node test cluster (scripts/slurm-cluster-test.sh): everything as root, no cgroups, no accounting.
ClusterName=freeenergy-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$tmp/ctld
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/ctld/slurmctld.pid
SlurmdPidFile=$tmp/spool/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=600
KillWait=10
Waittime=0
$hardware NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=30 State=UP
EOF

# --- 3. slurmctld and slurmd ---------------------------------------------------------------------------------------
slurmctld -D -i >"$tmp/log/slurmctld.out" 2>&1 </dev/null &
ctld_pid=$!
up=0
for _ in $(seq 1 150); do
  kill -0 "$ctld_pid" 2>/dev/null || break
  scontrol ping 2>/dev/null | grep -q 'is UP' && { up=1; break; }
  sleep 0.2
done
if [[ $up -ne 1 ]]; then
  tail_log "slurmctld's output" "$tmp/log/slurmctld.out"
  tail_log "slurmctld's log" "$tmp/log/slurmctld.log"
  kill -0 "$ctld_pid" 2>/dev/null || { wait "$ctld_pid"; fail "slurmctld (pid $ctld_pid) exited at start with code $? (its log above says why)"; }
  fail "slurmctld (pid $ctld_pid) did not answer scontrol ping on port $port within 30 s"
fi
slurmd -D >"$tmp/log/slurmd.out" 2>&1 </dev/null &
slurmd_pid=$!
state=
for _ in $(seq 1 150); do
  kill -0 "$slurmd_pid" 2>/dev/null || break
  state=$(sinfo -h -N -n "$node" -o %T 2>/dev/null)
  [[ $state == idle ]] && break
  sleep 0.2
done
if [[ $state != idle ]]; then
  tail_log "slurmd's output" "$tmp/log/slurmd.out"
  tail_log "slurmd's log" "$tmp/log/slurmd.log"
  tail_log "slurmctld's log" "$tmp/log/slurmctld.log"
  kill -0 "$slurmd_pid" 2>/dev/null || { wait "$slurmd_pid"; fail "slurmd (pid $slurmd_pid) exited at start with code $? (its log above says why)"; }
  fail "slurmd (pid $slurmd_pid) did not register node $node as idle within 30 s (state: '${state:-none}')"
fi
note "cluster up: node $node ($cpus CPUs), slurmctld pid $ctld_pid, slurmd pid $slurmd_pid, munged pid $munged_pid, ports $port-$((port + 1)), $(sinfo -V)"

# --- helpers for jobs --------------------------------------------------------------------------------------------
# Checks that the daemons still run; fails with the log of the one that stopped.
daemons_alive() {
  local pid label
  for label in munged slurmctld slurmd; do
    case $label in munged) pid=$munged_pid ;; slurmctld) pid=$ctld_pid ;; slurmd) pid=$slurmd_pid ;; esac
    if ! kill -0 "$pid" 2>/dev/null; then
      tail_log "$label's log" "$tmp/log/$label.log"
      tail_log "$label's output" "$tmp/log/$label.out"
      fail "$label (pid $pid) stopped while jobs were running"
    fi
  done
}

# submit FOLDER ARRAY: submits sweep.sbatch as a job array writing FOLDER/results/shard-<task>.jsonl; sets $job.
submit() {
  local id
  id=$(sbatch --parsable --array="$2" --chdir="$1" --time=10 "$sbatch_script" "$program" "$1/results" "$shards" "${plan[@]}" 2>"$tmp/log/sbatch.err") ||
    { tail_log "sbatch" "$tmp/log/sbatch.err"; tail_log "slurmctld's log" "$tmp/log/slurmctld.log"; fail "sbatch --array=$2 was refused"; }
  jobs+=("$id")
  job=$id
}

# tasks JOB: one line per array task: "<task> <state> <exit code>".
tasks() {
  scontrol -o show job "$1" 2>/dev/null | sed -E 's/.*ArrayTaskId=([^ ]+).* JobState=([^ ]+).* ExitCode=([^ ]+).*/\1 \2 \3/' | sort -n
}

# wait_for JOB [HOOK]: polls until no task of the job is pending or running (HOOK runs at every poll); fails after the timeout.
wait_for() {
  local job=$1 hook=${2:-} deadline=$((SECONDS + timeout))
  while squeue -h -j "$job" -o %i 2>/dev/null | grep -q .; do
    daemons_alive
    [[ -n $hook ]] && $hook "$job"
    if [[ $SECONDS -ge $deadline ]]; then
      squeue -j "$job" -o '%i %T %r %M' >&2
      tail_log "slurmd's log" "$tmp/log/slurmd.log"
      tail_log "slurmctld's log" "$tmp/log/slurmctld.log"
      fail "job $job did not finish within $timeout s"
    fi
    sleep 0.1
  done
  daemons_alive
}

# require_completed JOB FOLDER: every task COMPLETED with exit code 0, else fail with the task's output.
require_completed() {
  local task state code bad=0
  while read -r task state code; do
    if [[ $state != COMPLETED || $code != 0:0 ]]; then
      tail_log "task $task's output" "$2/freeenergy-sweep-${1}_$task.out"
      bad=1
      echo "$name: task $task of job $1: $state, exit code $code" >&2
    fi
  done < <(tasks "$1")
  [[ $bad -eq 0 ]] || { tail_log "slurmd's log" "$tmp/log/slurmd.log"; fail "tasks of job $1 did not complete"; }
}

records() { local n; n=$(grep -c . "$1" 2>/dev/null); echo "${n:-0}"; }

# since START: seconds elapsed (date +%s.%N), two decimals.
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }

merge() {
  local folder=$1 out
  out=$(dotnet "$program" merge "$folder"/results/shard-*.jsonl --out "$folder/merged.jsonl" --compare "$tmp/serial/serial.jsonl" "${plan[@]}" 2>&1)
  local status=$?
  echo "$out"
  [[ $status -eq 0 ]] && grep -q '^merged equals serial' <<<"$out" || fail "the merged shards of $folder differ from the serial run (merge exit code $status)"
}

# --- 4. the serial reference ---------------------------------------------------------------------------------------
mkdir -p "$tmp/serial"
clock=$(date +%s.%N)
serial_out=$(dotnet "$program" serial --out "$tmp/serial/serial.jsonl" "${plan[@]}" 2>&1) || { echo "$serial_out" >&2; fail "the serial run failed"; }
serial_seconds=$(since "$clock")
echo "$serial_out"
points=$(records "$tmp/serial/serial.jsonl")

# --- 5. the array, one shard per task ----------------------------------------------------------------------------
mkdir -p "$tmp/array"
clock=$(date +%s.%N)
submit "$tmp/array" "0-$((shards - 1))"
wait_for "$job"
array_seconds=$(since "$clock")
require_completed "$job" "$tmp/array"
cat "$tmp/array"/freeenergy-sweep-"${job}"_*.out | grep -E '^(task|shard)'
merge "$tmp/array"
note "$(printf 'timing: serial %.1f s, array of %d tasks on %d CPUs %.1f s (submission to last task), serial/array %.2f' \
  "$serial_seconds" "$shards" "$cpus" "$array_seconds" "$(awk -v s="$serial_seconds" -v a="$array_seconds" 'BEGIN { print s / a }')")"

# --- 6. a preempted task and a task that dies ----------------------------------------------------------------------
mkdir -p "$tmp/disrupted"
requeued=0 requeued_at=0 released=0 cancelled=0
# At every poll: the first time shard 0 (1) has a recorded point and more to go, requeue (cancel) its task.
disrupt() {
  local results=$tmp/disrupted/results
  if [[ $requeued -eq 0 && $(records "$results/shard-0.jsonl") -ge 1 ]]; then
    scontrol requeue "${1}_0" 2>>"$tmp/log/disrupt.err" && requeued=$(records "$results/shard-0.jsonl") requeued_at=$(date +%s)
  fi
  # Slurm holds a requeued batch job back for a credential's lifetime (AuthInfo=cred_expire, 120 s); release it then,
  # but not within the second of the requeue: slurmd compares credential times in whole seconds, so a new launch
  # in that second counts as revoked ("Job credential revoked") and the task ends FAILED with the old exit status.
  if [[ $requeued -ge 1 && $released -eq 0 && $(date +%s) -ge $((requeued_at + 2)) ]] &&
    squeue -h -j "${1}_0" -t PENDING -o %r 2>/dev/null | grep -q BeginTime; then
    scontrol update JobId="${1}_0" StartTime=now 2>>"$tmp/log/disrupt.err" && released=1
  fi
  if [[ $cancelled -eq 0 && $(records "$results/shard-1.jsonl") -ge 1 ]]; then
    scancel "${1}_1" 2>>"$tmp/log/disrupt.err" && cancelled=$(records "$results/shard-1.jsonl")
  fi
}
submit "$tmp/disrupted" "0-$((shards - 1))"
wait_for "$job" disrupt
[[ $requeued -ge 1 ]] || { tail_log "scontrol requeue" "$tmp/log/disrupt.err"; fail "task 0 of job $job could not be requeued"; }
[[ $cancelled -ge 1 ]] || { tail_log "scancel" "$tmp/log/disrupt.err"; fail "task 1 of job $job could not be cancelled"; }
failed=$(tasks "$job" | awk '$2 != "COMPLETED" || $3 != "0:0" {print $1}' | paste -sd, -)
tasks "$job" | sed "s/^/$name: job $job task /"
[[ $failed == 1 ]] || fail "after the requeue of task 0 and the cancel of task 1, the tasks not completed are '${failed:-none}', expected 1"
restarted=$(grep -c '^task 0 .*restart 1' "$tmp/disrupted/freeenergy-sweep-${job}_0.out")
[[ $restarted -eq 1 ]] || { tail_log "task 0's output" "$tmp/disrupted/freeenergy-sweep-${job}_0.out"; fail "the requeued task 0 did not run again"; }
resumed0=$(grep -oE '^shard 0 of [0-9]+: .*\(([0-9]+) resumed' "$tmp/disrupted/freeenergy-sweep-${job}_0.out" | grep -oE '[0-9]+ resumed' | tail -n 1)
note "task 0 requeued (preempted) with $requeued point(s) recorded: it ran again and $resumed0"
[[ ${resumed0%% *} -ge 1 ]] || fail "the requeued task 0 did not resume from its records file ('${resumed0:-no result line}')"
first=$job
submit "$tmp/disrupted" "$failed"
rerun=$job job=$first
wait_for "$rerun"
require_completed "$rerun" "$tmp/disrupted"
resumed1=$(grep -oE '[0-9]+ resumed' "$tmp/disrupted/freeenergy-sweep-${rerun}_1.out" | tail -n 1)
note "task 1 cancelled with $cancelled point(s) recorded: re-run with sbatch --array=$failed (job $rerun), $resumed1"
[[ ${resumed1%% *} -ge 1 ]] || fail "the re-run of task 1 did not resume from its records file"
merge "$tmp/disrupted"

note "PASSED: $points points; the array's and the disrupted array's merged shards equal the serial run; $((SECONDS - started)) s in all"
