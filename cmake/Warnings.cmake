# Warnings are errors for everything this project compiles; third-party headers come in as -isystem.
add_compile_options(-Wall -Wextra -Wpedantic -Werror)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports false positives from its own <bits/stl_algobase.h> at -O2 (PR 105651, 106199).
  add_compile_options(-Wno-error=restrict -Wno-error=array-bounds -Wno-error=stringop-overflow)
endif()
