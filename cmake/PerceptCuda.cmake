# PERCEPT_CUDA (docs/GPU.md): AUTO turns CUDA on when check_language finds nvcc, ON requires it,
# OFF builds the CPU-only runtime. Sets PERCEPT_CUDA_ENABLED for src/ and tests/.
set(PERCEPT_CUDA AUTO CACHE STRING "CUDA kernels and GPU resources (AUTO, ON, OFF)")
set_property(CACHE PERCEPT_CUDA PROPERTY STRINGS AUTO ON OFF)
set(PERCEPT_CUDA_ENABLED OFF)
if(NOT PERCEPT_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)  # Debian's PATH lacks the toolkit
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # Turing (sm_75) to Ada (sm_89) and Hopper (sm_90) as machine code, Jetson Orin (sm_87),
    # and compute_90 PTX for newer GPUs. nvcc 13 still accepts sm_75 (it dropped sm_50-72).
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES "75-real;80-real;86-real;87-real;89-real;90")
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    # .cu files include only the small kernel headers; CMake 3.25 knows no CUDA20 for nvcc.
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    set(PERCEPT_CUDA_ENABLED ON)
    message(STATUS "percept: CUDA on (${CMAKE_CUDA_COMPILER_VERSION}, archs ${CMAKE_CUDA_ARCHITECTURES})")
  elseif(PERCEPT_CUDA STREQUAL "ON")
    message(FATAL_ERROR "PERCEPT_CUDA=ON but no CUDA compiler was found (set CMAKE_CUDA_COMPILER)")
  else()
    message(STATUS "percept: CUDA off (no nvcc found)")
  endif()
endif()

# Warnings for .cu files: host code through -Xcompiler, device diagnostics as errors with WERROR.
function(percept_cuda_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>
    # No FMA contraction: the kernels round as the CPU references' baseline x86-64 builds do
    # (docs/GPU.md, Parity).
    $<$<COMPILE_LANGUAGE:CUDA>:--fmad=false>)
  if(PERCEPT_WERROR)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings>)
  endif()
endfunction()
