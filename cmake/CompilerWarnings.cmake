# One place that decides warnings and sanitizers for every hookbench target.
function(hookbench_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion -Wnon-virtual-dtor)
  if(HOOKBENCH_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(HOOKBENCH_SANITIZE)
    # No recovery: a UBSan report aborts the process, so a test that meets one fails.
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                                             -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
