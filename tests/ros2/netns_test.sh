#!/usr/bin/env bash
# Two machines on one host (issue 18 item 7): percept in one network namespace, an independent
# Cyclone DDS subscriber in another, joined by a veth pair; no loopback shortcut, so discovery
# and data cross a real (virtual) Ethernet link the way they cross a robot's network.
#   netns_test.sh PERCEPT SUBSCRIBER MODELS_DIR OUT_DIR MODE
# MODE multicast: both sides on Cyclone's defaults (SPDP multicast on the link).
# MODE unicast: multicast off, each side names the other as a peer in CYCLONEDDS_URI (networks
#               that drop multicast, e.g. many Wi-Fi set-ups).
# Needs root (ip netns); exits 77 (reported by ctest as skipped, not passed) without it.
set -euo pipefail
percept=$1 subscriber=$2 models=$3 out=$4 mode=$5
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
  echo "netns_test: needs root and iproute2 (ip netns): skipped"
  exit 77
fi
tag=pc$$
a=${tag}a b=${tag}b
domain=$((100 + $$ % 100))
# Per-process subnet in 10.78.x.0/24 so parallel runs never share addresses.
net=10.78.$(($$ % 250))
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$a"
ip netns add "$b"
ip link add "${tag}x" type veth peer name "${tag}y"
ip link set "${tag}x" netns "$a"
ip link set "${tag}y" netns "$b"
ip -n "$a" addr add "$net.1/24" dev "${tag}x"
ip -n "$b" addr add "$net.2/24" dev "${tag}y"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set "${tag}x" up multicast on
ip -n "$b" link set "${tag}y" up multicast on
# Multicast needs a route in each namespace (a robot's default route usually provides one).
ip -n "$a" route add 224.0.0.0/4 dev "${tag}x"
ip -n "$b" route add 224.0.0.0/4 dev "${tag}y"

mkdir -p "$out"
uri_a="" uri_b=""
if [ "$mode" = unicast ]; then
  uri_a="<CycloneDDS><Domain id=\"any\"><General><AllowMulticast>false</AllowMulticast></General><Discovery><Peers><Peer address=\"$net.2\"/></Peers><ParticipantIndex>auto</ParticipantIndex></Discovery></Domain></CycloneDDS>"
  uri_b="<CycloneDDS><Domain id=\"any\"><General><AllowMulticast>false</AllowMulticast></General><Discovery><Peers><Peer address=\"$net.1\"/></Peers><ParticipantIndex>auto</ParticipantIndex></Discovery></Domain></CycloneDDS>"
fi
frames=15
cat > "$out/config.yaml" <<YAML
mode: lossless
cameras:
  - {id: front, source: synthetic, width: 320, height: 240, frames: $frames}
models:
  - {id: detector, path: $models/shapes_yolov8.onnx, threads: 1}
output: {dir: $out/run, video: false}
ros2:
  enabled: true
  domain_id: $domain
  localhost_only: false
  depth: 100
  max_blocking_ms: 1000
  diagnostics_hz: 0
  wait_for_subscribers_s: 30
  namespace: $tag
YAML
topic=rt/$tag/front/detector/detections
CYCLONEDDS_URI="$uri_b" ip netns exec "$b" "$subscriber" "$domain" "$topic" "$frames" 60 \
  > "$out/subscriber.log" 2>&1 &
sub=$!
CYCLONEDDS_URI="$uri_a" ROS_LOCALHOST_ONLY=0 ip netns exec "$a" "$percept" run "$out/config.yaml" \
  > "$out/percept.log" 2>&1 || { echo "percept failed:"; tail -20 "$out/percept.log"; exit 1; }
if ! wait "$sub"; then
  echo "subscriber in $b did not receive $frames messages:"
  cat "$out/subscriber.log"
  grep -i "subscriber\|ros2" "$out/percept.log" | tail -5
  exit 1
fi
cat "$out/subscriber.log"
# The messages came over the link, not loopback: percept's namespace has only lo and the veth.
echo "netns_test ($mode): percept in $a ($net.1), subscriber in $b ($net.2): ok"
