# One place that decides warnings and sanitizers for every hookbench target.
#   hookbench_set_warnings(TARGET [NO_SANITIZE])
# NO_SANITIZE: warnings only, never the sanitizers (the integration tests' driver, which links
# nothing of hookbench's and runs the sanitized binary as a child).
function(hookbench_set_warnings target)
  cmake_parse_arguments(arg "NO_SANITIZE" "" "" ${ARGN})
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion -Wnon-virtual-dtor)
  if(HOOKBENCH_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(HOOKBENCH_SANITIZE AND NOT arg_NO_SANITIZE)
    # No recovery: a UBSan report aborts the process, so a test that meets one fails.
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                                             -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
