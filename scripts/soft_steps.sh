# Sourced by run.sh and regenerate.sh. `soft CMD...` runs one step of a long job: a step that
# fails (a sweep with a failed run exits 1 at its end, the run keeping its row) does not stop
# the others; `status` keeps the first failure's exit status, for the script to exit with.
# shellcheck shell=bash
status=0
soft() {
  local s=0
  "$@" || s=$?
  if [ "$s" -ne 0 ]; then
    echo "${0##*/}: '$*' exited $s; going on" >&2
    [ "$status" -ne 0 ] || status=$s
  fi
}
