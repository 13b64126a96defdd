pgha --json keystore create --bogus
