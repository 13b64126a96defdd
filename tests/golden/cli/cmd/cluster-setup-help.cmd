pgha cluster setup --help
