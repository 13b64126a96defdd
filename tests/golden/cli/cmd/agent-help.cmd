pgha-agent --help
