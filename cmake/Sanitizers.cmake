if(PROMCAST_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # Sanitizer instrumentation makes GCC 12's -Wmaybe-uninitialized report paths that cannot happen;
    # the release build keeps it an error, so real cases are still caught there.
    add_compile_options(-Wno-error=maybe-uninitialized)
  endif()
endif()
if(PROMCAST_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PROMCAST_FUZZ needs clang (configure with -DCMAKE_CXX_COMPILER=clang++-19)")
  endif()
  # Undefined behaviour stops the fuzzer like a crash: left recoverable, UBSan only prints a line that the
  # short CI runs cut off (model_snapshot_fuzz's float-to-int conversions went unnoticed that way).
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  # clang-19 in C++23 mode flags libstdc++ 12's own use of get_temporary_buffer (stable_sort, inplace_merge).
  add_compile_options(-Wno-deprecated-declarations)
  add_link_options(-fsanitize=address,undefined)
endif()
