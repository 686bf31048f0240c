# UCX's ucx_perftest and an Open MPI ring over sodp, the short run of
# ucx-apps.sh (one case of each kind: UCT over rc_verbs, UCP tag matching
# over RC and over UD, rendezvous from ODP memory, MPI with and without
# ODP, rxe's UCX against sodp's); the whole run is a command of its own
# (docs/testing.md).
# sodp-test-timeout: 600
exec bash "$(dirname "$0")/ucx-apps.sh" --short
