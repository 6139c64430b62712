// Compiled by the layering tests (tests/CMakeLists.txt) with only core's include folder: core
// may not use tasks, so this must fail to compile, naming the header it cannot see.
#include "percept/core/model_output.hpp"
#include "percept/tasks/task.hpp"
