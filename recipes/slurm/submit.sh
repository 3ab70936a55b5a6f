#!/usr/bin/env bash
# Queue N shards as a Slurm job array and the merge that waits for all of them. From the checkout:
#   recipes/slurm/submit.sh N [SUITE]        e.g. recipes/slurm/submit.sh 8 standard
# Run it again with the same RUN_NAME to finish an interrupted run: each shard resumes its own cells.
set -euo pipefail

SHARDS="${1:?usage: submit.sh N [SUITE]}"
SUITE="${2:-standard}"
RUN_NAME="${RUN_NAME:-slurm-$(date -u +%Y%m%dT%H%M%SZ)}"
here="$(cd "$(dirname "$0")" && pwd)"
export SHARDS SUITE RUN_NAME

array="$(sbatch --parsable --array="0-$((SHARDS - 1))" --export=ALL "$here/shard.sbatch")"
merge="$(sbatch --parsable --dependency="afterany:${array%%;*}" --export=ALL "$here/merge.sbatch")"
echo "shards: job array ${array%%;*} (0-$((SHARDS - 1))); merge: job ${merge%%;*}; results in" \
     "${RESULTS_ROOT:-results}/$RUN_NAME"
