# One place for warning flags, applied per target so third-party code is not affected.
function(percept_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion)
  # GCC 12 reports -Wrestrict false positives inside std::string concatenation at -O3
  # (GCC bug 105329, fixed in 13).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(PERCEPT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
