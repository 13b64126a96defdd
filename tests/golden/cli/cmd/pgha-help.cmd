pgha --help
