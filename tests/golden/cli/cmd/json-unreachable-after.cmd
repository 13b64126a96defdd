pgha status --json; echo "exit $?"; pgha status
