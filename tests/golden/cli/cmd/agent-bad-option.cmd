pgha-agent --bogus
