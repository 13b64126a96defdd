pgha --json group move
