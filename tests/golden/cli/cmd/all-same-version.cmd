pghad -V; pgha --version; pgha-agent -V
