pgha --json group move db1 --to
