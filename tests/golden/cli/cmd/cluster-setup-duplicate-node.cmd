pgha cluster setup db node1=192.168.5.21 node1=192.168.5.22 --no-start
