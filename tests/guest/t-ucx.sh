# UCX's ucx_perftest and an Open MPI ring over sodp (ucx-apps.sh): the whole
# run in the full suite; in the quick suite its short run, one case of each
# kind (UCT over rc_verbs, UCP over UD, rendezvous from ODP memory, an MPI
# ring), the rest counted as skipped.
# sodp-test-timeout: 900
[ "${SODP_FULL:-0}" = 1 ] && exec bash "$(dirname "$0")/ucx-apps.sh"
exec bash "$(dirname "$0")/ucx-apps.sh" --short
