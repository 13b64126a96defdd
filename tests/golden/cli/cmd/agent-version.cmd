pgha-agent --version
