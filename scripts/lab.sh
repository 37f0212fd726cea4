#!/usr/bin/env bash
# A lab of "hosts" on this machine, for running hookbench across hosts without other machines:
# network namespaces on one bridge, addresses from 198.18.0.0/15 (set aside for benchmarks), each
# with its own sshd on port 22 and a key pair made for the lab. Needs root, iproute2 and sshd
# (scripts/setup.sh --lab installs them).
#   scripts/lab.sh up N      hosts hblab0 (group producer, 198.18.10.1) and hblab1..N (group
#                            consumers, 198.18.10.2..): an Ansible inventory, ssh keys and an
#                            ssh_config in the lab directory
#   scripts/lab.sh down      stops every lab sshd, deletes the namespaces, the bridge and the
#                            directory (safe to run twice, or after a failed up)
#   scripts/lab.sh status    the hosts, and whether each answers ssh
# The lab directory is $HOOKBENCH_LAB_DIR, /run/hookbench-lab by default: `up` makes it (it must
# not exist) and `down` removes it only if `up` made it. The controller (this namespace) is
# 198.18.10.254 on the bridge; the hosts reach it and each other there. sshd runs without PAM:
# root's account must not be locked (a shadow entry starting with '!').
set -euo pipefail

dir="${HOOKBENCH_LAB_DIR:-/run/hookbench-lab}"
bridge=hblab-br
subnet=198.18.10
controller="$subnet.254"
max_hosts=200

die() { echo "lab.sh: error: $*" >&2; exit 2; }
usage() {
  echo "usage: scripts/lab.sh up N | down | status   (N consumer hosts, 1 to $((max_hosts - 1)))" >&2
  exit 2
}

# The lab's namespaces, from the ones this machine has (not from the directory, which a failed
# run may have left half written).
lab_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^hblab[0-9]+$' || true; }

host_address() { echo "$subnet.$(($1 + 1))"; }

down() {
  local ns pid
  ip netns delete hblab-probe 2>/dev/null || true
  if [ -f "$dir/.hookbench-lab" ]; then
    for pid_file in "$dir"/sshd-*.pid; do
      [ -e "$pid_file" ] || continue
      pid=$(cat "$pid_file" 2>/dev/null || true)
      [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
  fi
  for ns in $(lab_namespaces); do
    # Whatever still runs in the namespace (sshd, a hookbench the playbook left) goes with it.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns delete "$ns" 2>/dev/null || true
    ip link delete "${ns}h" 2>/dev/null || true  # its veth, if the namespace outlived the kill
  done
  ip link delete "$bridge" 2>/dev/null || true
  if [ -f "$dir/.hookbench-lab" ]; then rm -rf "$dir"; fi
}

ssh_ok() {  # host index: does its sshd let the lab key in? (bounded: 3 s)
  ssh -F "$dir/ssh_config" -o ConnectTimeout=3 -o BatchMode=yes "hblab$1" true 2>/dev/null
}

up() {
  local n="$1" k ns addr veth deadline
  [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces and sshd on port 22)"
  command -v ip >/dev/null || die "ip (iproute2) not found: run scripts/setup.sh"
  [ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd not found: run scripts/setup.sh --lab"
  [ -z "$(lab_namespaces)" ] || die "a lab is up already: scripts/lab.sh down first"
  [[ "$dir" != *[[:space:]]* ]] || die "HOOKBENCH_LAB_DIR must not contain spaces: '$dir'"
  [ ! -e "$dir" ] || die "$dir exists: remove it (or scripts/lab.sh down), or set HOOKBENCH_LAB_DIR"
  ip netns delete hblab-probe 2>/dev/null || true
  lab_ok=0  # global: the EXIT trap reads it after up() has returned
  trap 'if [ "$lab_ok" != 1 ]; then echo "lab.sh: up failed; taking the lab down" >&2; down; fi' EXIT
  ip netns add hblab-probe 2>/dev/null || die "cannot make a network namespace here"
  ip netns delete hblab-probe
  mkdir -p "$dir" /run/sshd
  chmod 700 "$dir"
  : >"$dir/.hookbench-lab"  # made by up: down may remove the directory
  ssh-keygen -q -t ed25519 -N '' -C hookbench-lab -f "$dir/id_ed25519"
  cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
  : >"$dir/known_hosts"
  ip link add "$bridge" type bridge
  ip addr add "$controller/24" dev "$bridge"
  ip link set "$bridge" up
  {
    echo "# The hookbench lab (scripts/lab.sh up $n): $((n + 1)) network namespaces on $bridge."
    echo "[producer]"
    echo "hblab0 ansible_host=$(host_address 0)"
    echo "[consumers]"
    for ((k = 1; k <= n; k++)); do echo "hblab$k ansible_host=$(host_address "$k")"; done
    echo "[all:vars]"
    echo "ansible_user=root"
    echo "ansible_python_interpreter=/usr/bin/python3"
    echo "ansible_pipelining=true"
    echo "ansible_ssh_common_args='-F $dir/ssh_config'"
  } >"$dir/inventory.ini"
  {
    # Ansible connects to ansible_host, the address: the settings hold for both names.
    echo "Host hblab* $subnet.*"
    echo "  User root"
    echo "  IdentityFile $dir/id_ed25519"
    echo "  IdentitiesOnly yes"
    echo "  UserKnownHostsFile $dir/known_hosts"
    echo "  StrictHostKeyChecking yes"
    echo "  LogLevel ERROR"
  } >"$dir/ssh_config"
  for ((k = 0; k <= n; k++)); do
    ns="hblab$k"
    addr=$(host_address "$k")
    veth="hblab${k}h"
    ip netns add "$ns"
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$bridge" up
    ip -n "$ns" addr add "$addr/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ssh-keygen -q -t ed25519 -N '' -C "$ns" -f "$dir/host-$k"
    echo "$ns,$addr $(cut -d' ' -f1,2 "$dir/host-$k.pub")" >>"$dir/known_hosts"
    printf 'Host %s\n  HostName %s\n' "$ns" "$addr" >>"$dir/ssh_config"
    ip netns exec "$ns" /usr/sbin/sshd -f /dev/null \
      -o ListenAddress="$addr" -o Port=22 -o HostKey="$dir/host-$k" \
      -o AuthorizedKeysFile="$dir/authorized_keys" -o PidFile="$dir/sshd-$k.pid" \
      -o UsePAM=no -o PermitRootLogin=prohibit-password -o PasswordAuthentication=no \
      -o StrictModes=no -o Subsystem="sftp internal-sftp" -o MaxStartups=100
  done
  for ((k = 0; k <= n; k++)); do
    deadline=$((SECONDS + 15))
    until ssh_ok "$k"; do
      [ "$SECONDS" -lt "$deadline" ] || die "host hblab$k ($(host_address "$k")) does not answer ssh after 15 s"
      sleep 0.2
    done
  done
  lab_ok=1
  echo "lab.sh: $((n + 1)) hosts up: producer hblab0 ($(host_address 0)), consumers hblab1..hblab$n" >&2
  echo "lab.sh: inventory $dir/inventory.ini; ssh -F $dir/ssh_config hblab1" >&2
}

status() {
  local ns k
  if [ -z "$(lab_namespaces)" ]; then echo "lab.sh: no lab is up"; return 0; fi
  for ns in $(lab_namespaces); do
    k="${ns#hblab}"
    if [ -f "$dir/ssh_config" ] && ssh_ok "$k"; then
      echo "$ns $(host_address "$k") ssh ok"
    else
      echo "$ns $(host_address "$k") ssh DOWN"
    fi
  done
}

[ "$#" -ge 1 ] || usage
case "$1" in
  up)
    [ "$#" -eq 2 ] || usage
    [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -lt "$max_hosts" ] ||
      die "N must be a whole number from 1 to $((max_hosts - 1)), not '$2'"
    up "$((10#$2))" ;;
  down) [ "$#" -eq 1 ] || usage; down; echo "lab.sh: down" >&2 ;;
  status) [ "$#" -eq 1 ] || usage; status ;;
  -h | --help) usage ;;
  *) echo "lab.sh: error: unknown command '$1'" >&2; usage ;;
esac
