#!/bin/bash
"$@" > sig.log 2>&1 &
P=$!
for i in $(seq 1 200); do grep -q "answering DNS" sig.log && break; sleep 0.05; done
sleep 2.5
S=$(date +%s%N); kill -TERM $P; wait $P; E=$(date +%s%N)
echo "stop (after 2.5 s) $(( (E - S) / 1000000 )) ms"
