pgha group move db1 --json --wait=5
