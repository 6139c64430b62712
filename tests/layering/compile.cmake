# cmake -DCXX=... -DSOURCE=... -DINCLUDES=<;-list> -P compile.cmake: compiles SOURCE for syntax
# only with exactly those include folders and prints the compiler's output (the layering tests
# match it).
set(args -std=c++20 -fsyntax-only)
foreach(dir IN LISTS INCLUDES)
  list(APPEND args -I${dir})
endforeach()
execute_process(COMMAND ${CXX} ${args} ${SOURCE} OUTPUT_VARIABLE out ERROR_VARIABLE err
                RESULT_VARIABLE rc)
message("${out}${err}exit ${rc}")
