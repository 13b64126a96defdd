#!/bin/bash
# The failover benchmark keeps working: one run of each of power loss,
# server crash, hung server and planned move (bench.sh --quick), each back
# online, nothing lost, its JSON valid.  The figures it prints are for
# reading; nothing here asserts a time.
exec "$(dirname "$0")/bench.sh" --quick
