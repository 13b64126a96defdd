pghad --bogus
