pgha group frob --json
