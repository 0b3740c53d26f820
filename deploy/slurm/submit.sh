#!/bin/bash
# submit.sh SHARDS [flexnet run arguments] — submits the shard array and
# the merge job after it; prints both job ids. Add --wait to SBATCH_ARGS
# (environment) to block until the merge is done.
#
#   FLEXNET_PASSWORD=... ./submit.sh 4 -i fleet.ini -g all -u admin \
#       --password-env FLEXNET_PASSWORD --backup
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shards=${1:?usage: submit.sh SHARDS [flexnet run arguments]}
shift
job=$(sbatch --parsable --array=0-$((shards - 1)) "$here/flexnet-shard.sbatch" "$@")
job=${job%%;*}
echo "shards: job $job (run slurm-$job)"
merge=$(sbatch --parsable ${SBATCH_ARGS:-} --dependency=afterany:"$job" \
    "$here/flexnet-merge.sbatch" "$job")
echo "merge: job ${merge%%;*}"
