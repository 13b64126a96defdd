pgha --json cluster setup db node1=192.168.5.21 node2=192.168.5.300
