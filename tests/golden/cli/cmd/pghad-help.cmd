pghad --help
