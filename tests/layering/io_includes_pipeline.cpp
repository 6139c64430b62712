// Compiled by the layering tests (tests/CMakeLists.txt) with io's include folders: io may not
// use pipeline (the sinks and the Frame record live in io so that ros2 can implement a sink
// without reaching up), so this must fail to compile, naming the header it cannot see.
#include "percept/io/sinks.hpp"
#include "percept/pipeline/runtime.hpp"
