# The two commands a fresh Debian 12 machine needs (README): `make demo` and `make test`.
# Both install what is missing (scripts/bootstrap.sh) and build first.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release -DPERCEPT_WERROR=ON

.PHONY: all setup build demo test bench format clean

all: build

setup:
	scripts/bootstrap.sh

build: setup
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	scripts/demo.sh

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

bench: build
	scripts/bench.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp' '*.h' '*.cu' '*.cuh')

clean:
	rm -rf $(BUILD)
