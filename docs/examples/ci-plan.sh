#!/usr/bin/env bash
# Scheduled plan: what would this recovery change today? Changes nothing.
# Publishes plan.json (the contract for ci-apply.sh), plan.md, plan.html and plan-junit.xml.
# Run it from the checkout's root: plan.json names the files inside the working directory
# relative to it, so ci-apply.sh can run it in another checkout (docs/plan-file.md).
#
#   PLAYBOOK=playbooks/smsman-reinstall.yml INVENTORY=inventory/prod.yml ARTIFACTS=out \
#       docs/examples/ci-plan.sh [-e key=value ...] [--limit PATTERN]
#
# Exit: 0 planned (artifacts/changes-pending says whether anything would change), else the
# plan's own code (1 a host could not be planned, 2 bad input, 4 refused, 5 credential).
set -u
: "${PLAYBOOK:?set PLAYBOOK}" "${INVENTORY:?set INVENTORY}"
ARTIFACTS=${ARTIFACTS:-plan-artifacts}
mkdir -p "$ARTIFACTS"

orchestrator plan "$PLAYBOOK" -i "$INVENTORY" "$@" \
    --out "$ARTIFACTS/plan.json" \
    --report "$ARTIFACTS/plan.html" \
    --junit "$ARTIFACTS/plan-junit.xml" \
    --format markdown --detailed-exitcode >"$ARTIFACTS/plan.md"
code=$?

case $code in
0) echo "false" >"$ARTIFACTS/changes-pending"; echo "plan: nothing would change" ;;
6) echo "true" >"$ARTIFACTS/changes-pending"; echo "plan: changes pending, review $ARTIFACTS/plan.md"; code=0 ;;
*) echo "plan failed with exit code $code (see README: exit codes)" >&2 ;;
esac
exit "$code"
