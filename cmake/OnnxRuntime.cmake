# Locates ONNX Runtime: ONNXRUNTIME_ROOT (cache or environment; include/ and lib/ inside) or the
# copy scripts/bootstrap.sh unpacks into third_party/onnxruntime. Defines onnxruntime::onnxruntime.
# The binaries get an RPATH to the very library they were compiled against, because ONNX Runtime's
# symbols are versioned and a different libonnxruntime.so on the loader path would not match.
set(ONNXRUNTIME_ROOT "$ENV{ONNXRUNTIME_ROOT}" CACHE PATH "ONNX Runtime root (include/, lib/)")
if(NOT ONNXRUNTIME_ROOT)
  set(ONNXRUNTIME_ROOT "${PROJECT_SOURCE_DIR}/third_party/onnxruntime" CACHE PATH "" FORCE)
endif()
find_path(ONNXRUNTIME_INCLUDE_DIR onnxruntime_cxx_api.h
          PATHS "${ONNXRUNTIME_ROOT}/include" "${ONNXRUNTIME_ROOT}/include/onnxruntime"
          NO_DEFAULT_PATH)
find_library(ONNXRUNTIME_LIBRARY onnxruntime PATHS "${ONNXRUNTIME_ROOT}/lib" NO_DEFAULT_PATH)
if(NOT ONNXRUNTIME_INCLUDE_DIR OR NOT ONNXRUNTIME_LIBRARY)
  message(FATAL_ERROR "ONNX Runtime not found under ${ONNXRUNTIME_ROOT}: run scripts/bootstrap.sh "
                      "or set ONNXRUNTIME_ROOT to a folder with include/ and lib/")
endif()
file(STRINGS "${ONNXRUNTIME_INCLUDE_DIR}/onnxruntime_c_api.h" _ort_api
     REGEX "^#define ORT_API_VERSION [0-9]+")
string(REGEX MATCH "[0-9]+" ONNXRUNTIME_API_VERSION "${_ort_api}")
message(STATUS "ONNX Runtime: ${ONNXRUNTIME_LIBRARY} (API ${ONNXRUNTIME_API_VERSION})")
add_library(onnxruntime::onnxruntime SHARED IMPORTED GLOBAL)
set_target_properties(onnxruntime::onnxruntime PROPERTIES
  IMPORTED_LOCATION "${ONNXRUNTIME_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${ONNXRUNTIME_INCLUDE_DIR}")
get_filename_component(ONNXRUNTIME_LIBRARY_DIR "${ONNXRUNTIME_LIBRARY}" DIRECTORY)
list(APPEND CMAKE_BUILD_RPATH "${ONNXRUNTIME_LIBRARY_DIR}")
