#!/usr/bin/env bash
# Approved run of a saved plan: runs exactly what ci-plan.sh planned, or refuses (exit 4) when
# the playbook, inventory or -e values changed, or leaves out a host that drifted since.
# Run it from a checkout of the commit that was planned, at any path: the plan names its files
# relative to the working directory (docs/plan-file.md). Keep ORCHESTRATOR_STATE_DIR on the
# runner host between jobs (docs/ci.md): the journal and the domain's lock live there.
#
#   ARTIFACTS=out docs/examples/ci-apply.sh [--escrow NAME=DESTINATION ...]
#
# Exit: the run's code (0 success, 1 failed and rolled back, 3 rollback incomplete,
# 4 refused or a drifted host left out, 5 credential rejected).
set -u
ARTIFACTS=${ARTIFACTS:-plan-artifacts}

orchestrator run --plan "$ARTIFACTS/plan.json" --yes --log-format json "$@" \
    --report "$ARTIFACTS/run.html" \
    --junit "$ARTIFACTS/run-junit.xml" >"$ARTIFACTS/run.jsonl"
code=$?
echo "run: exit code $code (JSON log in $ARTIFACTS/run.jsonl)"
exit "$code"
