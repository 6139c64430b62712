# One place for warning flags, applied per target so third-party code is not affected.
function(percept_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion)
  if(PERCEPT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
