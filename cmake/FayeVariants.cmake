# One library, several builds of it. The test suites link a sanitized variant
# so that AddressSanitizer/UBSan (or ThreadSanitizer) see the library's code too.
set(FAYE_WARNINGS -Wall -Wextra -Wpedantic)
set(FAYE_ASAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer)
set(FAYE_TSAN_FLAGS -fsanitize=thread -fno-omit-frame-pointer)

function(faye_add_library name flags)
  add_library(${name} ${FAYE_SOURCES})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  target_compile_features(${name} PUBLIC cxx_std_20)
  target_compile_options(${name} PRIVATE ${FAYE_WARNINGS} ${flags})
  target_link_options(${name} PUBLIC ${flags})
  target_link_libraries(${name}
    PUBLIC OpenSSL::SSL OpenSSL::Crypto Threads::Threads $<BUILD_INTERFACE:faye_asio>
    PRIVATE ZLIB::ZLIB $<BUILD_INTERFACE:faye_http_parser>)
  if(flags)
    target_compile_options(${name} PUBLIC ${flags})
  endif()
endfunction()

# faye_add_variants(<base> <sources...>): an executable per enabled variant,
# linked to the matching library build. Returns the names in <base>_VARIANTS.
function(faye_add_executable_variants base)
  set(variants ${base})
  add_executable(${base} ${ARGN})
  target_link_libraries(${base} PRIVATE faye_websocket)
  target_compile_options(${base} PRIVATE ${FAYE_WARNINGS})
  if(FAYE_SANITIZERS)
    add_executable(${base}_asan ${ARGN})
    target_link_libraries(${base}_asan PRIVATE faye_websocket_asan)
    target_compile_options(${base}_asan PRIVATE ${FAYE_WARNINGS})
    list(APPEND variants ${base}_asan)
  endif()
  set(${base}_VARIANTS ${variants} PARENT_SCOPE)
endfunction()
