pgha --json status
