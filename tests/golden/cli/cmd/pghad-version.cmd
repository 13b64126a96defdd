pghad --version
