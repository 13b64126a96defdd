pgha cluster setup db node1=192.168.5.21,192.168.6.21 node2=192.168.5.22,192.168.6.22 --witness 192.168.5.3 --dry-run
