#!/usr/bin/env bash
# Installs everything percept needs on a fresh Debian 12 machine. Safe to run twice: apt skips
# what is installed, and ONNX Runtime is reused from third_party/ when its checksum matches.
#   scripts/bootstrap.sh            system packages (when missing) + ONNX Runtime
#   PERCEPT_SKIP_APT=1 ...          only ONNX Runtime (for machines you manage yourself)
# A user's own ONNX Runtime is used instead when ONNXRUNTIME_ROOT is set (include/ and lib/).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  cmake ninja-build g++ make pkg-config git ca-certificates xz-utils
  libopencv-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libcpp-httplib-dev libgtest-dev libgmock-dev libbenchmark-dev clang-format prometheus
  python3 python3-numpy python3-opencv python3-torch python3-onnx
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches ONNX Runtime; machines that already have Node.js (often not from Debian) keep theirs.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ] && [ -z "${PERCEPT_SKIP_APT:-}" ]; then
  echo "bootstrap: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ -n "${ONNXRUNTIME_ROOT:-}" ]; then
  echo "bootstrap: using ONNX Runtime from ONNXRUNTIME_ROOT=$ONNXRUNTIME_ROOT"
  exit 0
fi

# ONNX Runtime 1.29.0 (headers + Linux x64 library) from the npm registry.
ORT_PKG=com.github.asus4.onnxruntime@0.4.9
ORT_TGZ=com.github.asus4.onnxruntime-0.4.9.tgz
ORT_SHA256=e59788788818fdde1b2e522e766a21ba0f7d8391de55737abf81e32cc801785d
ORT_DIR=third_party/onnxruntime
if [ -f "$ORT_DIR/.sha256" ] && [ "$(cat "$ORT_DIR/.sha256")" = "$ORT_SHA256" ] &&
   [ -f "$ORT_DIR/lib/libonnxruntime.so" ] && [ -f "$ORT_DIR/include/onnxruntime_cxx_api.h" ]; then
  exit 0
fi
echo "bootstrap: fetching ONNX Runtime ($ORT_PKG)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$ORT_PKG" >/dev/null)
echo "$ORT_SHA256  $tmp/$ORT_TGZ" | sha256sum -c --quiet - ||
  { echo "bootstrap: checksum mismatch for $ORT_TGZ" >&2; exit 1; }
headers='package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers'
tar xzf "$tmp/$ORT_TGZ" -C "$tmp" "$headers" package/Plugins/Linux/x64/libonnxruntime.so \
  package/Plugins/Linux/x64/libonnxruntime_providers_shared.so
rm -rf "$ORT_DIR" && mkdir -p "$ORT_DIR/lib"
cp -r "$tmp/$headers" "$ORT_DIR/include"
cp "$tmp"/package/Plugins/Linux/x64/*.so "$ORT_DIR/lib/"
# The library's SONAME is libonnxruntime.so.1: the loader looks for that name.
ln -sf libonnxruntime.so "$ORT_DIR/lib/libonnxruntime.so.1"
echo "$ORT_SHA256" > "$ORT_DIR/.sha256"
echo "bootstrap: ONNX Runtime ready in $ORT_DIR"
