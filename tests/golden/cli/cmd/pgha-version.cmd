pgha --version
