pgha --json -s @abstract status
